import { NextResponse, type NextRequest } from "next/server";

const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

/**
 * Convenience only: send a signed-out visitor of a dashboard page to sign-in and back to where
 * they were going. Every page, action and route still checks the session and permissions itself.
 */
export function proxy(request: NextRequest): NextResponse {
  const signedIn = SESSION_COOKIES.some((name) => request.cookies.has(name));
  // Page views only: server actions (POST) answer for themselves through the action wrapper.
  if (signedIn || request.method !== "GET") return NextResponse.next();
  const url = new URL("/sign-in", request.url);
  url.searchParams.set("callbackUrl", `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.redirect(url);
}

export const config = { matcher: ["/projects/:path*", "/runs/:path*", "/errors/:path*", "/outbox/:path*", "/teams/:path*", "/account", "/users"] };
