import "server-only";
import { and, asc, eq, gt, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { getDatabase } from "@/lib/db/client";
import { users, type InstanceRole } from "@/lib/db/schema";
import { requireInstancePermission } from "./instance";
import { revokeUserSessions } from "./sessions";

export const USERS_PAGE_SIZE = 50;

export type InstanceUser = { id: string; email: string; name: string; instanceRole: InstanceRole; disabledAt: string | null; createdAt: string; lastSeenAt: string | null; isMe: boolean };
export type InstanceUsersPage = { rows: InstanceUser[]; nextCursor: string | null };

/**
 * Every account of the instance, by email, keyset-paged on lower(email) (unique, indexed), for the
 * instance owner; optionally only addresses starting with `prefix`.
 */
export async function listInstanceUsers(options: { cursor?: string; prefix?: string } = {}): Promise<InstanceUsersPage> {
  const me = await requireInstancePermission("users:manage");
  const cursor = options.cursor?.slice(0, 320).toLowerCase();
  const prefix = options.prefix?.trim().toLowerCase().slice(0, 320);
  const conditions: (SQL | undefined)[] = [
    cursor ? gt(sql`lower(${users.email})`, cursor) : undefined,
    prefix ? sql`lower(${users.email}) like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : undefined,
  ];
  const rows = await getDatabase()
    .db.select({
      id: users.id,
      email: users.email,
      name: users.name,
      instanceRole: users.instanceRole,
      disabledAt: users.disabledAt,
      createdAt: users.createdAt,
      // Spelled out: drizzle leaves columns of a one-table query unqualified, which a subquery would capture.
      lastSeenAt: sql<string | null>`(select max(us.last_seen_at) from user_sessions us where us.user_id = "users"."id")`,
    })
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(sql`lower(${users.email})`))
    .limit(USERS_PAGE_SIZE + 1);
  const page = rows.slice(0, USERS_PAGE_SIZE);
  return {
    rows: page.map((r) => ({ ...r, disabledAt: r.disabledAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString(), lastSeenAt: r.lastSeenAt === null ? null : new Date(r.lastSeenAt).toISOString(), isMe: r.id === me.id })),
    nextCursor: rows.length > USERS_PAGE_SIZE ? (page.at(-1)?.email.toLowerCase() ?? null) : null,
  };
}

export type DisableOutcome = { ok: true; email: string; sessionsEnded: number } | { ok: false; code: "not_found" | "self" | "unchanged"; message: string };

/**
 * Disable or enable an account (instance owner). Disabling ends every session at once and stops
 * the user's API keys (authenticateApiKey reads the creator's state with the key); enabling lets
 * them sign in again with their password (old sessions stay ended).
 */
export async function setUserDisabled(userId: string, disabled: boolean): Promise<DisableOutcome> {
  const me = await requireInstancePermission("users:manage");
  if (!z.uuid().safeParse(userId).success) return { ok: false, code: "not_found", message: "That account no longer exists." };
  if (userId === me.id) return { ok: false, code: "self", message: "You cannot disable your own account: ask another instance owner." };
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ disabledAt: disabled ? sql`now()` : null })
      .where(and(eq(users.id, userId), disabled ? isNull(users.disabledAt) : isNotNull(users.disabledAt)))
      .returning({ id: users.id, email: users.email });
    if (!row) {
      const [exists] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId));
      return exists
        ? { ok: false, code: "unchanged", message: disabled ? "That account is already disabled." : "That account is already enabled." }
        : { ok: false, code: "not_found", message: "That account no longer exists." };
    }
    const sessionsEnded = disabled ? await revokeUserSessions(tx, row.id) : 0;
    await recordAudit(tx, { action: disabled ? "user.disabled" : "user.enabled", actor: { userId: me.id, apiKeyId: null }, teamId: null, subjectUserId: row.id, details: { email: row.email, sessionsEnded } });
    return { ok: true, email: row.email, sessionsEnded };
  });
}
