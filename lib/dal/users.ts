import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { cache } from "react";
import { getDatabase } from "@/lib/db/client";
import { users, userSessions, type InstanceRole } from "@/lib/db/schema";
import { sessionClaims } from "./session-claims";
import { liveSession, SESSION_TOUCH_SECONDS, touchSession } from "./sessions";

export type CurrentUser = { id: string; email: string; name: string; instanceRole: InstanceRole };

/** Teams whose settings the navigation links to: the first few the user owns or administers. */
export type NavTeam = { slug: string; name: string };
export const NAV_TEAMS = 3;

/**
 * The signed-in user and their session, read fresh once per request: one query checks the session
 * row is live (not signed out, revoked or expired) and the user not disabled, and reads the few
 * teams the navigation links to (every page's layout needs them; a second statement per page view
 * cost more than the indexed subquery). Null when signed out.
 */
export const getCurrentSession = cache(async (): Promise<{ user: CurrentUser; sessionId: string; navTeams: NavTeam[] } | null> => {
  const claims = await sessionClaims();
  if (!claims) return null;
  const [row] = await getDatabase()
    .db.select({ id: users.id, email: users.email, name: users.name, instanceRole: users.instanceRole, lastSeenAt: userSessions.lastSeenAt,
      navTeams: sql<NavTeam[] | string | null>`(select json_agg(x) from (select t.slug, t.name from team_members m join teams t on t.id = m.team_id
        where m.user_id = ${users.id} and m.role in ('owner', 'admin') order by t.name limit ${NAV_TEAMS}) x)`,
    })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(and(eq(userSessions.id, claims.sessionId), eq(userSessions.userId, claims.userId), liveSession, isNull(users.disabledAt)));
  if (!row) return null;
  if (Date.now() - row.lastSeenAt.getTime() > SESSION_TOUCH_SECONDS * 1000) await touchSession(claims.sessionId);
  const { lastSeenAt: _seen, navTeams, ...user } = row;
  return { user, sessionId: claims.sessionId, navTeams: (typeof navTeams === "string" ? (JSON.parse(navTeams) as NavTeam[]) : navTeams) ?? [] };
});

/** The signed-in user, read fresh from the database once per request; null when signed out. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => (await getCurrentSession())?.user ?? null);
