import { sql } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { userSessions } from "@/lib/db/schema";

const live = new Map<string, string>();

/**
 * A real, live user_sessions row for a user (one per user, reused): tests that stand in for
 * Auth.js return it as the cookie's session id, so the DAL's session check runs as in production.
 */
export async function liveSessionId(userId: string): Promise<string> {
  const known = live.get(userId);
  if (known) return known;
  const [row] = await getDatabase()
    .db.insert(userSessions)
    .values({ userId, expiresAt: sql`now() + interval '1 day'` })
    .returning({ id: userSessions.id });
  live.set(userId, row!.id);
  return row!.id;
}

