import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { headers } from "next/headers";
import { z } from "zod";
import { safeText } from "@/lib/validation/safe-text";
import { displayName, slugCandidates, slugify } from "@/lib/teams/names";
import { recordAudit, type Actor } from "@/lib/audit";
import { GRANTABLE_PERMISSIONS, isGrantable, permissionsFor, type GrantablePermission, type Permission } from "@/lib/auth/permissions";
import { databaseUrl, getDatabase, type Tx } from "@/lib/db/client";
import { apiKeys, auditEvents, jobRuns, notifications, projects, teamInvites, teamMembers, teams, users, type AuditAction, type TeamRole } from "@/lib/db/schema";
import { getSendOnlyBoss } from "@/lib/jobs/boss";
import { inviteEmail } from "@/lib/notify/invite-email";
import { DEFAULT_RUNBOARD_URL } from "@/lib/notify/messages";
import { enqueueDelivery } from "@/lib/notify/outbox";
import { refuseGrantChange, refuseInvite, refuseRemoval, refuseRoleChange, type Counts, type Refusal } from "@/lib/teams/rules";
import { AccessError, actorOf, requireTeamPermission, type TeamAccess } from "./access";
import { currentApiPrincipal } from "./principal";
import { getCurrentUser } from "./users";

const MAX_TEAMS = 100;
const MAX_MEMBERS = 500;
const MAX_INVITES = 100;
export const AUDIT_PAGE_SIZE = 30;
export const INVITE_TTL_DAYS = 7;

// ---------------------------------------------------------------------------------------------
// Reads

export type TeamListItem = { slug: string; name: string; role: TeamRole; canManage: boolean };

/** The teams the signed-in user belongs to (for the nav), with whether they manage each. */
export async function listMyTeams(): Promise<TeamListItem[]> {
  const user = await getCurrentUser();
  if (!user) return [];
  const rows = await getDatabase()
    .db.select({ slug: teams.slug, name: teams.name, role: teamMembers.role, grants: teamMembers.grants })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(eq(teamMembers.userId, user.id))
    .orderBy(asc(teams.name))
    .limit(MAX_TEAMS);
  return rows.map((r) => ({ slug: r.slug, name: r.name, role: r.role, canManage: permissionsFor({ role: r.role, grants: r.grants }, "user").has("team:manage") }));
}

export type MemberView = {
  userId: string;
  name: string;
  email: string;
  role: TeamRole;
  grants: GrantablePermission[];
  /** Role defaults plus grants: what the member can do in this team. */
  permissions: Permission[];
  isYou: boolean;
};

export type InviteView = { id: string; email: string; role: TeamRole; grants: GrantablePermission[]; invitedBy: string | null; createdAt: string; expiresAt: string; expired: boolean };

export type TeamSettings = {
  team: { slug: string; name: string };
  you: { userId: string; role: TeamRole };
  members: MemberView[];
  /** More members than one page shows (MAX_MEMBERS). */
  membersTruncated: boolean;
  invites: InviteView[];
};

const grantsOf = (values: readonly string[]): GrantablePermission[] => GRANTABLE_PERMISSIONS.filter((p) => values.includes(p));

/** Members and open invites, for team:manage holders; members without it are "forbidden". */
export async function getTeamSettings(teamSlug: string): Promise<TeamSettings> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const { db } = getDatabase();
  const inviter = alias(users, "inviter");
  const [memberRows, inviteRows] = await Promise.all([
    db
      .select({ userId: users.id, name: users.name, email: users.email, role: teamMembers.role, grants: teamMembers.grants })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(eq(teamMembers.teamId, access.team.id))
      .orderBy(sql`case ${teamMembers.role} when 'owner' then 0 when 'admin' then 1 else 2 end`, asc(users.name), asc(users.id))
      .limit(MAX_MEMBERS + 1),
    db
      .select({
        id: teamInvites.id,
        email: teamInvites.email,
        role: teamInvites.role,
        grants: teamInvites.grants,
        invitedBy: inviter.name,
        createdAt: teamInvites.createdAt,
        expiresAt: teamInvites.expiresAt,
      })
      .from(teamInvites)
      .leftJoin(inviter, eq(inviter.id, teamInvites.invitedBy))
      .where(and(eq(teamInvites.teamId, access.team.id), isNull(teamInvites.acceptedAt), isNull(teamInvites.revokedAt)))
      .orderBy(desc(teamInvites.createdAt))
      .limit(MAX_INVITES),
  ]);
  const now = Date.now();
  return {
    team: { slug: access.team.slug, name: access.team.name },
    you: { userId: access.user.id, role: access.role },
    members: memberRows.slice(0, MAX_MEMBERS).map((m) => ({
      userId: m.userId,
      name: m.name,
      email: m.email,
      role: m.role,
      grants: grantsOf(m.grants),
      permissions: [...permissionsFor({ role: m.role, grants: m.grants }, "user")],
      isYou: m.userId === access.user.id,
    })),
    membersTruncated: memberRows.length > MAX_MEMBERS,
    invites: inviteRows.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      grants: grantsOf(i.grants),
      invitedBy: i.invitedBy,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
      expired: i.expiresAt.getTime() <= now,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Audit log

export type AuditEventView = {
  id: string;
  action: AuditAction;
  createdAt: string;
  /** A user's name, an API key's name, or null for the system. */
  actor: { kind: "user" | "api_key" | "system"; name: string | null };
  subjectName: string | null;
  details: Record<string, unknown>;
  run: { id: string; projectSlug: string } | null;
};

export type AuditPage = { events: AuditEventView[]; nextCursor: string | null };

const auditCursor = z.object({ t: safeText().min(1).max(64), id: z.uuid() });

function decodeAuditCursor(cursor: string | undefined): { t: string; id: string } | null {
  if (!cursor) return null;
  try {
    const parsed = auditCursor.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return parsed.success && !Number.isNaN(Date.parse(parsed.data.t)) ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The team's audit events, newest first, one keyset page at a time. The cursor carries the exact
 * timestamp text (microseconds): events of one transaction share it, and a millisecond Date would
 * skip some of them.
 */
export async function listTeamAudit(teamSlug: string, cursor?: string): Promise<AuditPage> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const after = decodeAuditCursor(cursor);
  const actor = alias(users, "actor");
  const subject = alias(users, "subject");
  const rows = await getDatabase()
    .db.select({
      id: auditEvents.id,
      action: auditEvents.action,
      createdAt: auditEvents.createdAt,
      exactTime: sql<string>`${auditEvents.createdAt}::text`,
      actorUserId: auditEvents.actorUserId,
      actorName: actor.name,
      apiKeyName: apiKeys.name,
      actorApiKeyId: auditEvents.actorApiKeyId,
      subjectName: subject.name,
      details: auditEvents.details,
      runId: auditEvents.runId,
      projectSlug: projects.slug,
    })
    .from(auditEvents)
    .leftJoin(actor, eq(actor.id, auditEvents.actorUserId))
    .leftJoin(apiKeys, eq(apiKeys.id, auditEvents.actorApiKeyId))
    .leftJoin(subject, eq(subject.id, auditEvents.subjectUserId))
    .leftJoin(jobRuns, eq(jobRuns.id, auditEvents.runId))
    .leftJoin(projects, eq(projects.id, jobRuns.projectId))
    .where(
      and(
        eq(auditEvents.teamId, access.team.id),
        after ? sql`(${auditEvents.createdAt}, ${auditEvents.id}) < (${after.t}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
    .limit(AUDIT_PAGE_SIZE + 1);
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  const last = page.at(-1);
  return {
    events: page.map((r) => ({
      id: r.id,
      action: r.action,
      createdAt: r.createdAt.toISOString(),
      actor: r.actorApiKeyId
        ? { kind: "api_key", name: r.apiKeyName ?? r.actorName }
        : r.actorUserId
          ? { kind: "user", name: r.actorName }
          : { kind: "system", name: null },
      subjectName: r.subjectName,
      details: r.details,
      run: r.runId && r.projectSlug ? { id: r.runId, projectSlug: r.projectSlug } : null,
    })),
    nextCursor: rows.length > AUDIT_PAGE_SIZE && last ? Buffer.from(JSON.stringify({ t: last.exactTime, id: last.id })).toString("base64url") : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Mutations: each one permission check, one transaction with its audit event.

export type TeamMutation<T = undefined> = { ok: true; data: T } | { ok: false; code: Refusal["code"] | "not_found" | "forbidden" | "already_member" | "invalid" | "unchanged"; message: string };

const refused = (r: Refusal): TeamMutation<never> => ({ ok: false, code: r.code, message: r.message });
const memberGone: TeamMutation<never> = { ok: false, code: "not_found", message: "That person is not a member of this team." };

type Locked = { actorRole: TeamRole; target: { role: TeamRole; grants: string[] } | null; counts: Counts };

/**
 * Serialize membership changes per team (lock the team row), then read the actor's role afresh
 * (it may have changed since the request's access check), the target member and the owner count.
 */
async function lockTeam(tx: Tx, access: TeamAccess, targetUserId: string | null): Promise<Locked | null> {
  await tx.execute(sql`select 1 from ${teams} where ${teams.id} = ${access.team.id} for update`);
  const rows = await tx
    .select({
      userId: teamMembers.userId,
      role: teamMembers.role,
      grants: teamMembers.grants,
      owners: sql<number>`(select count(*)::int from team_members o where o.team_id = ${access.team.id} and o.role = 'owner')`,
      managers: sql<number>`(select count(*)::int from team_members o where o.team_id = ${access.team.id} and o.role in ('owner', 'admin'))`,
    })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, access.team.id), sql`${teamMembers.userId} in (${access.user.id}, ${targetUserId ?? access.user.id})`));
  const me = rows.find((r) => r.userId === access.user.id);
  // Lost team:manage (or membership) since the check: refuse as the check would now.
  if (!me || !permissionsFor({ role: me.role, grants: me.grants }, "user").has("team:manage")) return null;
  const target = targetUserId ? rows.find((r) => r.userId === targetUserId) : undefined;
  return { actorRole: me.role, target: target ? { role: target.role, grants: target.grants } : null, counts: { owners: me.owners, managers: me.managers } };
}

const lostAccess: TeamMutation<never> = { ok: false, code: "forbidden", message: "You no longer manage this team." };

function audit(tx: Tx, access: TeamAccess, action: AuditAction, subjectUserId: string | null, details: Record<string, unknown>): Promise<void> {
  const actor: Actor = actorOf(access);
  return recordAudit(tx, { action, actor, teamId: access.team.id, subjectUserId, details });
}

export async function changeMemberRole(teamSlug: string, userId: string, role: TeamRole): Promise<TeamMutation> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  if (!z.uuid().safeParse(userId).success) return memberGone;
  return getDatabase().db.transaction(async (tx) => {
    const locked = await lockTeam(tx, access, userId);
    if (!locked) return lostAccess;
    if (!locked.target) return memberGone;
    if (locked.target.role === role) return { ok: false, code: "unchanged", message: `They are already ${role === "admin" ? "an" : "a"} ${role}.` };
    const refusal = refuseRoleChange(locked.actorRole, { role: locked.target.role, isSelf: userId === access.user.id }, role, locked.counts);
    if (refusal) return refused(refusal);
    await tx.update(teamMembers).set({ role }).where(and(eq(teamMembers.teamId, access.team.id), eq(teamMembers.userId, userId)));
    await audit(tx, access, "member.role_changed", userId, { from: locked.target.role, to: role });
    return { ok: true, data: undefined };
  });
}

export async function setMemberGrants(teamSlug: string, userId: string, grants: readonly string[]): Promise<TeamMutation> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  if (!z.uuid().safeParse(userId).success) return memberGone;
  const bad = grants.filter((g) => !isGrantable(g));
  if (bad.length > 0) return { ok: false, code: "not_grantable", message: `Only ${GRANTABLE_PERMISSIONS.join(" and ")} can be granted.` };
  const next = grantsOf(grants);
  return getDatabase().db.transaction(async (tx) => {
    const locked = await lockTeam(tx, access, userId);
    if (!locked) return lostAccess;
    if (!locked.target) return memberGone;
    const refusal = refuseGrantChange({ role: locked.target.role, isSelf: userId === access.user.id });
    if (refusal) return refused(refusal);
    const before = grantsOf(locked.target.grants);
    if (before.join() === next.join()) return { ok: false, code: "unchanged", message: "Those permissions are already set." };
    await tx.update(teamMembers).set({ grants: next }).where(and(eq(teamMembers.teamId, access.team.id), eq(teamMembers.userId, userId)));
    await audit(tx, access, "member.grants_changed", userId, {
      from: before,
      to: next,
      added: next.filter((g) => !before.includes(g)),
      removed: before.filter((g) => !next.includes(g)),
    });
    return { ok: true, data: undefined };
  });
}

export async function removeMember(teamSlug: string, userId: string): Promise<TeamMutation> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  if (!z.uuid().safeParse(userId).success) return memberGone;
  return getDatabase().db.transaction(async (tx) => {
    const locked = await lockTeam(tx, access, userId);
    if (!locked) return lostAccess;
    if (!locked.target) return memberGone;
    const refusal = refuseRemoval(locked.actorRole, { role: locked.target.role, isSelf: userId === access.user.id }, locked.counts);
    if (refusal) return refused(refusal);
    await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, access.team.id), eq(teamMembers.userId, userId)));
    await audit(tx, access, "member.removed", userId, { role: locked.target.role, grants: grantsOf(locked.target.grants) });
    return { ok: true, data: undefined };
  });
}

export function hashInviteToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Where links in emails point: RUNBOARD_URL, else the origin of the request that sends them. */
async function publicBaseUrl(): Promise<string> {
  if (process.env.RUNBOARD_URL) return process.env.RUNBOARD_URL;
  try {
    const h = await headers();
    const host = h.get("x-forwarded-host") ?? h.get("host");
    if (host) return `${h.get("x-forwarded-proto") ?? "http"}://${host}`;
  } catch {
    // outside a request
  }
  return DEFAULT_RUNBOARD_URL;
}

/**
 * Invite an email address: a team_invites row (only the token's sha256 is stored), the email in
 * the notifications outbox with its delivery run, and the audit event, in one transaction. A new
 * invite to the same address replaces the open one.
 */
export async function inviteMember(teamSlug: string, email: string, role: TeamRole, grants: readonly string[]): Promise<TeamMutation<{ inviteId: string }>> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const address = email.trim().toLowerCase();
  if (!z.email().safeParse(address).success) return { ok: false, code: "invalid", message: "Enter a valid email address." };
  if (grants.some((g) => !isGrantable(g))) return { ok: false, code: "not_grantable", message: `Only ${GRANTABLE_PERMISSIONS.join(" and ")} can be granted.` };
  // Grants mean something only for members; admins and owners hold every permission.
  const inviteGrants = role === "member" ? grantsOf(grants) : [];
  const baseUrl = await publicBaseUrl();
  const boss = await getSendOnlyBoss(databaseUrl());
  return getDatabase().db.transaction(async (tx) => {
    const locked = await lockTeam(tx, access, null);
    if (!locked) return lostAccess;
    const refusal = refuseInvite(locked.actorRole, role);
    if (refusal) return refused(refusal);
    const [existing] = await tx
      .select({ userId: teamMembers.userId })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(and(eq(teamMembers.teamId, access.team.id), eq(sql`lower(${users.email})`, address)));
    if (existing) return { ok: false, code: "already_member", message: `${address} is already a member of ${access.team.name}.` };

    const replaced = await tx
      .update(teamInvites)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(teamInvites.teamId, access.team.id), eq(sql`lower(${teamInvites.email})`, address), isNull(teamInvites.acceptedAt), isNull(teamInvites.revokedAt)))
      .returning({ id: teamInvites.id });
    for (const r of replaced) await audit(tx, access, "invite.revoked", null, { email: address, inviteId: r.id, replaced: true });

    const token = randomBytes(32).toString("base64url");
    const expiresAt = new Date(Date.now() + INVITE_TTL_DAYS * 24 * 3600 * 1000);
    const [invite] = await tx
      .insert(teamInvites)
      .values({ teamId: access.team.id, email: address, role, grants: inviteGrants, tokenHash: hashInviteToken(token), invitedBy: access.user.id, expiresAt })
      .returning({ id: teamInvites.id });
    if (!invite) throw new Error("could not create the invite");
    const content = inviteEmail({ teamName: access.team.name, inviterName: access.user.name, role, expiresAt }, baseUrl, token);
    const [notification] = await tx.insert(notifications).values({ kind: "invite", toEmail: address, ...content }).returning({ id: notifications.id });
    if (!notification) throw new Error("could not queue the invite email");
    await enqueueDelivery(tx, boss, notification.id);
    await audit(tx, access, "invite.created", null, { email: address, role, grants: inviteGrants, inviteId: invite.id });
    return { ok: true, data: { inviteId: invite.id } };
  });
}

export async function revokeInvite(teamSlug: string, inviteId: string): Promise<TeamMutation> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const gone: TeamMutation = { ok: false, code: "not_found", message: "That invite is no longer open." };
  if (!z.uuid().safeParse(inviteId).success) return gone;
  return getDatabase().db.transaction(async (tx) => {
    const locked = await lockTeam(tx, access, null);
    if (!locked) return lostAccess;
    const [row] = await tx
      .update(teamInvites)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(teamInvites.id, inviteId), eq(teamInvites.teamId, access.team.id), isNull(teamInvites.acceptedAt), isNull(teamInvites.revokedAt)))
      .returning({ email: teamInvites.email, role: teamInvites.role });
    if (!row) return gone;
    await audit(tx, access, "invite.revoked", null, { email: row.email, role: row.role, inviteId });
    return { ok: true, data: undefined };
  });
}

// ---------------------------------------------------------------------------------------------
// Creating a team: any signed-in person (never an API key: a key belongs to a team already).

export type CreatedTeam = { slug: string; name: string };

/** Create a team with the signed-in user as its owner; its slug comes from the name. */
export async function createTeam(rawName: unknown): Promise<TeamMutation<CreatedTeam>> {
  if (currentApiPrincipal()) throw new AccessError("forbidden");
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  const parsed = displayName("team").safeParse(rawName);
  if (!parsed.success) return { ok: false, code: "invalid", message: parsed.error.issues[0]?.message ?? "Give the team a name." };
  const name = parsed.data;
  return getDatabase().db.transaction(async (tx) => {
    // One person's creates are serialized, so the duplicate and count checks below hold.
    await tx.execute(sql`select 1 from ${users} where ${users.id} = ${user.id} for update`);
    const mine = await tx
      .select({ name: teams.name })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(eq(teamMembers.userId, user.id))
      .limit(MAX_TEAMS + 1);
    if (mine.some((t) => t.name.toLowerCase() === name.toLowerCase())) return { ok: false, code: "invalid", message: `You are already in a team named “${name}”. Choose another name.` };
    if (mine.length >= MAX_TEAMS) return { ok: false, code: "invalid", message: `You are in ${MAX_TEAMS} teams, the most one person can be in. Leave one first.` };
    let slug: string | null = null;
    for (const candidate of slugCandidates(slugify(name, "team"), () => randomBytes(3).toString("hex"))) {
      const [row] = await tx.insert(teams).values({ slug: candidate, name }).onConflictDoNothing({ target: teams.slug }).returning({ id: teams.id, slug: teams.slug });
      if (row) {
        await tx.insert(teamMembers).values({ teamId: row.id, userId: user.id, role: "owner" });
        await recordAudit(tx, { action: "team.created", actor: { userId: user.id, apiKeyId: null }, teamId: row.id, details: { slug: row.slug, name } });
        slug = row.slug;
        break;
      }
    }
    if (!slug) throw new Error("no free team slug");
    return { ok: true, data: { slug, name } };
  });
}
