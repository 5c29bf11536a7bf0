import "server-only";
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { checkPassword, hashPassword, newPassword } from "@/lib/auth/password";
import { getDatabase } from "@/lib/db/client";
import { users, userSessions } from "@/lib/db/schema";
import { AccessError } from "./access";
import { revokeUserSessions } from "./sessions";
import { getCurrentSession } from "./users";

/**
 * The signed-in person's own account. Nothing here takes a user or session id from the input:
 * every function acts on the session's own user, so no one can reach another's account.
 */
const MAX_SESSIONS_LISTED = 50;

export const nameInput = z.object({ name: z.string().trim().min(1, "Enter your name.").max(100, "Keep your name under 100 characters.") });
export const passwordChangeInput = z
  .object({ currentPassword: z.string().min(1, "Enter your current password.").max(200), newPassword, confirmPassword: z.string().max(200) })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords differ." });

export type SessionView = { id: string; current: boolean; createdAt: string; lastSeenAt: string; userAgent: string | null; ip: string | null };
export type AccountView = { name: string; email: string; instanceRole: string; sessions: SessionView[] };

async function requireSession() {
  const session = await getCurrentSession();
  if (!session) throw new AccessError("unauthenticated");
  return session;
}

/** The account page: who I am and my live sessions, most recently used first. */
export async function getAccount(): Promise<AccountView> {
  const { user, sessionId } = await requireSession();
  const rows = await getDatabase()
    .db.select({ id: userSessions.id, createdAt: userSessions.createdAt, lastSeenAt: userSessions.lastSeenAt, userAgent: userSessions.userAgent, ip: userSessions.ip })
    .from(userSessions)
    .where(and(eq(userSessions.userId, user.id), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, sql`now()`)))
    .orderBy(desc(userSessions.lastSeenAt), desc(userSessions.id))
    .limit(MAX_SESSIONS_LISTED);
  return {
    name: user.name,
    email: user.email,
    instanceRole: user.instanceRole,
    sessions: rows.map((r) => ({ ...r, current: r.id === sessionId, createdAt: r.createdAt.toISOString(), lastSeenAt: r.lastSeenAt.toISOString() })),
  };
}

export async function updateMyName(name: string): Promise<void> {
  const { user } = await requireSession();
  const parsed = nameInput.parse({ name });
  await getDatabase().db.update(users).set({ name: parsed.name }).where(eq(users.id, user.id));
}

export type PasswordChange = { ok: true; signedOut: number } | { ok: false; code: "bad_password"; message: string };

/**
 * Change my password: the current one must match. Every other session ends (a thief holding a
 * copied cookie is out); this one stays signed in.
 */
export async function changeMyPassword(currentPassword: string, next: string): Promise<PasswordChange> {
  const { user, sessionId } = await requireSession();
  const password = newPassword.parse(next);
  const { db } = getDatabase();
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id));
  if (!row || !(await checkPassword(currentPassword, row.passwordHash))) return { ok: false, code: "bad_password", message: "Your current password is not correct." };
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    const signedOut = await revokeUserSessions(tx, user.id, sessionId);
    await recordAudit(tx, { action: "user.password_changed", actor: { userId: user.id, apiKeyId: null }, teamId: null, subjectUserId: user.id, details: { otherSessionsEnded: signedOut } });
    return { ok: true, signedOut };
  });
}

/** "Sign out every other session": all my sessions but this one end now. */
export async function signOutMyOtherSessions(): Promise<number> {
  const { user, sessionId } = await requireSession();
  return revokeUserSessions(getDatabase().db, user.id, sessionId);
}
