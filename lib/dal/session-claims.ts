import "server-only";
import { getToken } from "next-auth/jwt";
import { headers } from "next/headers";
import { sessionClaimsOf, type SessionClaims } from "./session-claims-of";

/** Auth.js names the cookie by the site's scheme; a browser only keeps the __Secure- one over https. */
const COOKIE_NAMES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;

/**
 * Decrypted cookies by their exact text. The cookie is an authenticated JWE, so the same text
 * always decrypts to the same claims; its expiry is checked on every use. Decrypting derives a
 * key (HKDF) per call: a page polled every second by hundreds of tabs pays that once per cookie.
 */
const decrypted = new Map<string, { claims: SessionClaims | null; expiresAt: number }>();
const MAX_DECRYPTED = 2000;

async function claimsOf(cookie: string, cookieName: string, secret: string): Promise<SessionClaims | null> {
  const req = { headers: new Headers({ cookie }) };
  const token = await getToken({ req, secret, cookieName, salt: cookieName, secureCookie: cookieName.startsWith("__Secure-") });
  return sessionClaimsOf(token?.sub, token?.sid);
}

/**
 * What the session cookie claims (user and session ids), before the database has confirmed it.
 * Decrypts the cookie directly (chunked cookies too) rather than through Auth.js's auth(), which
 * runs its whole session endpoint per call and re-encrypts a refreshed token that a page cannot
 * set anyway. Only the Cookie header is read: an API key in Authorization is never a session.
 */
export async function sessionClaims(): Promise<SessionClaims | null> {
  const secret = process.env.AUTH_SECRET ?? process.env.NEXTAUTH_SECRET;
  const cookie = (await headers()).get("cookie");
  if (!secret || !cookie) return null;
  for (const cookieName of COOKIE_NAMES) {
    if (!cookie.includes(cookieName)) continue;
    const key = `${cookieName}\n${cookie}`;
    const hit = decrypted.get(key);
    if (hit && hit.expiresAt > Date.now()) {
      if (hit.claims) return hit.claims;
      continue;
    }
    const claims = await claimsOf(cookie, cookieName, secret);
    if (decrypted.size >= MAX_DECRYPTED) decrypted.delete(decrypted.keys().next().value!);
    // Good for a minute at most: the token's own expiry is 30 days, the session row is checked anyway.
    decrypted.set(key, { claims, expiresAt: Date.now() + 60_000 });
    if (claims) return claims;
  }
  return null;
}
