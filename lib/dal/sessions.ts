import "server-only";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { getDatabase, type DbOrTx } from "@/lib/db/client";
import { userSessions } from "@/lib/db/schema";
import { clientAddress } from "@/lib/security/client-address";

/** A session lives 30 days after it was last used (each use slides the end, as the cookie does). */
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;
/** last_seen_at is a hint for the account page: written at most once a minute per session. */
export const SESSION_TOUCH_SECONDS = 60;

export type SessionClient = { userAgent: string | null; ip: string | null };

/**
 * What the account page shows about the browser: the user agent as the client says it, and the
 * address the throttles use (the TCP peer, or TRUST_PROXY's hop), never a header a client can forge.
 */
export function sessionClientOf(headers: Headers): SessionClient {
  const address = clientAddress(headers);
  return { userAgent: headers.get("user-agent")?.slice(0, 300) || null, ip: address === "unknown" ? null : address };
}

/** Sign-in only: a new live session for the user; its id goes into the session cookie. */
export async function startSession(userId: string, client: SessionClient): Promise<string> {
  const { db } = getDatabase();
  // The user's long-dead sessions go here, so the table holds about one month per user.
  await db
    .delete(userSessions)
    .where(and(eq(userSessions.userId, userId), sql`coalesce(${userSessions.revokedAt}, ${userSessions.expiresAt}) < now() - make_interval(secs => ${SESSION_TTL_SECONDS})`));
  const [row] = await db
    .insert(userSessions)
    .values({ userId, userAgent: client.userAgent, ip: client.ip, expiresAt: sql`now() + make_interval(secs => ${SESSION_TTL_SECONDS})` })
    .returning({ id: userSessions.id });
  if (!row) throw new Error("could not start the session");
  return row.id;
}

/** Sign-out: the cookie's session ends here, whoever still holds a copy of it. */
export async function revokeSession(sessionId: string): Promise<void> {
  if (!z.uuid().safeParse(sessionId).success) return;
  await getDatabase().db.update(userSessions).set({ revokedAt: sql`now()` }).where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt)));
}

/** End every live session of a user, except `keep` (the caller's own) when given; returns how many. */
export async function revokeUserSessions(db: DbOrTx, userId: string, keep: string | null = null): Promise<number> {
  const rows = await db
    .update(userSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), keep ? ne(userSessions.id, keep) : undefined))
    .returning({ id: userSessions.id });
  return rows.length;
}

/** Mark the session used now and slide its end; only when the last mark is a minute old. */
export async function touchSession(sessionId: string): Promise<void> {
  await getDatabase()
    .db.update(userSessions)
    .set({ lastSeenAt: sql`now()`, expiresAt: sql`now() + make_interval(secs => ${SESSION_TTL_SECONDS})` })
    .where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt), sql`${userSessions.lastSeenAt} < now() - make_interval(secs => ${SESSION_TOUCH_SECONDS})`));
}

/** The SQL condition "this session row is live" for queries that fold the check into their read. */
export const liveSession = sql`${userSessions.revokedAt} is null and ${userSessions.expiresAt} > now()`;
