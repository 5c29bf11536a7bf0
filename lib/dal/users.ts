import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import { cache } from "react";
import { getDatabase } from "@/lib/db/client";
import { users, userSessions, type InstanceRole } from "@/lib/db/schema";
import { sessionClaims } from "./session-claims";
import { liveSession, SESSION_TOUCH_SECONDS, touchSession } from "./sessions";

export type CurrentUser = { id: string; email: string; name: string; instanceRole: InstanceRole };

/**
 * The signed-in user and their session, read fresh once per request: one query checks the session
 * row is live (not signed out, revoked or expired) and the user not disabled. Null when signed out.
 */
export const getCurrentSession = cache(async (): Promise<{ user: CurrentUser; sessionId: string } | null> => {
  const claims = await sessionClaims();
  if (!claims) return null;
  const [row] = await getDatabase()
    .db.select({ id: users.id, email: users.email, name: users.name, instanceRole: users.instanceRole, lastSeenAt: userSessions.lastSeenAt })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(and(eq(userSessions.id, claims.sessionId), eq(userSessions.userId, claims.userId), liveSession, isNull(users.disabledAt)));
  if (!row) return null;
  if (Date.now() - row.lastSeenAt.getTime() > SESSION_TOUCH_SECONDS * 1000) await touchSession(claims.sessionId);
  const { lastSeenAt: _seen, ...user } = row;
  return { user, sessionId: claims.sessionId };
});

/** The signed-in user, read fresh from the database once per request; null when signed out. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => (await getCurrentSession())?.user ?? null);
