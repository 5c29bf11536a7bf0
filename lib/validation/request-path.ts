/**
 * Why a request path cannot name anything, or null when it is well formed: a malformed
 * percent-escape (`%ZZ`, a lone `%`, an invalid UTF-8 sequence) or an encoded control character
 * such as NUL. Next.js fails such paths with a 500 while decoding route parameters, and Postgres
 * refuses NUL in text; they are answered 400 before routing instead.
 */
export function malformedPathReason(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return "The address contains a malformed percent-escape.";
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return "The address contains a control character (such as NUL).";
  return null;
}
