import "server-only";
import { getToken } from "next-auth/jwt";
import { headers } from "next/headers";
import { sessionClaimsOf, type SessionClaims } from "./session-claims-of";

/** Auth.js names the cookie by the site's scheme; a browser only keeps the __Secure- one over https. */
const COOKIE_NAMES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;

/**
 * Decrypted tokens by their exact text. A token is an authenticated JWE, so the same text always
 * decrypts to the same claims. Only tokens that decrypted are kept (so junk cannot fill it), for
 * a minute; the session row is still checked on every request. Decrypting derives a key (HKDF)
 * per call: a page polled every second by hundreds of tabs pays that once per cookie.
 */
const decrypted = new Map<string, { claims: SessionClaims; expiresAt: number }>();
const MAX_DECRYPTED = 2000;
const REMEMBER_MS = 60_000;

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
  const req = { headers: new Headers({ cookie }) };
  for (const cookieName of COOKIE_NAMES) {
    if (!cookie.includes(cookieName)) continue;
    const params = { req, secret, cookieName, salt: cookieName, secureCookie: cookieName.startsWith("__Secure-") };
    const token = await getToken({ ...params, raw: true });
    if (!token) continue;
    const key = `${cookieName}=${token}`;
    const hit = decrypted.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.claims;
    const payload = await getToken(params);
    const claims = sessionClaimsOf(payload?.sub, payload?.sid);
    if (!claims) continue;
    decrypted.delete(key);
    if (decrypted.size >= MAX_DECRYPTED) decrypted.delete(decrypted.keys().next().value!);
    decrypted.set(key, { claims, expiresAt: Date.now() + REMEMBER_MS });
    return claims;
  }
  return null;
}
