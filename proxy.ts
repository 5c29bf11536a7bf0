import { NextResponse, type NextRequest } from "next/server";
import { pagePolicy } from "@/lib/security/headers";
import { malformedPathReason } from "@/lib/validation/request-path";

const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
const DASHBOARD = /^\/(projects|runs|errors|outbox|teams|workers)(\/|$)|^\/(account|users)$/;

/**
 * Refuses addresses that cannot name anything (malformed escapes or NUL in the path, NUL in the
 * query) with a 400 before routing, for pages and APIs alike; pages cannot answer 400 themselves.
 * Every page view then gets a fresh CSP nonce (Next.js reads it from the request's policy and puts
 * it on its own scripts; app/layout.tsx puts it on the theme script; API answers get next.config's
 * static policy). As a convenience only, a signed-out visitor of a dashboard page is sent to
 * sign-in and back. Every page, action and route still checks the session and permissions itself.
 */
export function proxy(request: NextRequest): NextResponse {
  // The raw path, percent-escapes as sent (nextUrl may have normalised them).
  const raw = new URL(request.url);
  const reason = malformedPathReason(raw.pathname) ?? (/%00/.test(raw.search) ? "The query contains a NUL character (%00)." : null);
  if (reason) {
    return request.nextUrl.pathname.startsWith("/api/")
      ? NextResponse.json({ error: { code: "bad_request", message: reason } }, { status: 400, headers: { "Cache-Control": "no-store" } })
      : new NextResponse(`400 Bad request. ${reason} Check the link you followed.`, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  }
  if (request.nextUrl.pathname.startsWith("/api/")) return NextResponse.next();
  const nonce = btoa(crypto.randomUUID());
  const policy = pagePolicy(nonce);
  const signedIn = SESSION_COOKIES.some((name) => request.cookies.has(name));
  let response: NextResponse;
  // Page views only: server actions (POST) answer for themselves through the action wrapper.
  if (!signedIn && request.method === "GET" && DASHBOARD.test(request.nextUrl.pathname)) {
    const url = new URL("/sign-in", request.url);
    url.searchParams.set("callbackUrl", `${request.nextUrl.pathname}${request.nextUrl.search}`);
    response = NextResponse.redirect(url);
  } else {
    const headers = new Headers(request.headers);
    headers.set("x-nonce", nonce);
    headers.set("Content-Security-Policy", policy);
    response = NextResponse.next({ request: { headers } });
  }
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

// Every path but Next's own static files.
export const config = { matcher: ["/((?!_next/static|_next/image|favicon\\.ico).*)"] };
