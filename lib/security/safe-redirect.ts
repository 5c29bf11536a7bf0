/** Where a signed-in person lands when the requested destination is missing or refused. */
export const DEFAULT_DESTINATION = "/projects";

const ORIGIN = "http://runboard.invalid";
// Browsers read "\" as "/" and drop tabs and newlines inside URLs, so "/\evil", "/\t/evil" and
// "//evil" all leave the site.
const UNSAFE = /[\\\u0000-\u001f\u007f]/;

const plainPath = (path: string) => path.startsWith("/") && !path.startsWith("//") && !UNSAFE.test(path);

/** The path part holds no way off the site, as written and after every round of percent-decoding. */
function pathHolds(value: string): boolean {
  if (UNSAFE.test(value)) return false;
  let path = value.split(/[?#]/, 1)[0]!;
  for (let round = 0; round < 4; round++) {
    if (!plainPath(path)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return false;
    }
    if (decoded === path) return true;
    path = decoded;
  }
  return false; // still encoded after four rounds: nothing of ours looks like that
}

/**
 * A destination after sign-in: a same-origin path, or DEFAULT_DESTINATION. The path must start
 * with one "/" and hold no backslash or control character, also after percent-decoding (so
 * %2F%2F, %5C and %09 cannot smuggle one in), and must still be such a path once resolved (so
 * "/..//evil" cannot become "//evil"). An absolute URL counts only on `ownOrigin`.
 */
export function safeDestination(raw: unknown, ownOrigin?: string): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2048) return DEFAULT_DESTINATION;
  const path = ownOrigin && raw.startsWith(`${ownOrigin}/`) ? raw.slice(ownOrigin.length) : raw;
  if (!pathHolds(path)) return DEFAULT_DESTINATION;
  const url = new URL(path, ORIGIN);
  const resolved = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === ORIGIN && pathHolds(resolved) ? resolved : DEFAULT_DESTINATION;
}
