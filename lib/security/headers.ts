/**
 * Security headers. Pages get a per-request nonce policy from proxy.ts: the App Router writes
 * inline scripts (its RSC payload, our theme script), which only a nonce can allow without
 * 'unsafe-inline', and 'strict-dynamic' lets those trusted scripts load Next's chunks. Styles keep
 * 'unsafe-inline' because React writes style attributes; styles cannot run code.
 * Everything else (API answers, files, assets) gets the static headers from next.config.ts.
 */
export function pagePolicy(nonce: string, dev = process.env.NODE_ENV !== "production"): string {
  return [
    "default-src 'self'",
    // Development's fast refresh evaluates code; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Nothing an API answer or a download needs may load or frame anything. */
export const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** On every response, pages included. */
export const COMMON_HEADERS: { key: string; value: string }[] = [
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()" },
];
