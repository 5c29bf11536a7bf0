import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { and, eq, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { recordAudit } from "@/lib/audit";
import { auditEvents, jobRuns, notifications, projects, teamInvites, teamMembers, teams, users, type TeamRole } from "@/lib/db/schema";
import type { TestDatabase } from "../support/db";
import { openTestEnv } from "../support/fixtures";

/**
 * The team DAL as the web calls it: a real database, real permission checks. Only the session is
 * stubbed: `as(user)` is who the next calls run as (the JWT carries just the user id; everything
 * else is read from the database on each call).
 */
const session = vi.hoisted(() => ({ userId: null as string | null, concurrent: null as import("node:async_hooks").AsyncLocalStorage<string> | null }));
vi.mock("server-only", () => ({}));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", async () => {
  const { AsyncLocalStorage } = await import("node:async_hooks");
  session.concurrent = new AsyncLocalStorage<string>();
  return {
    auth: async () => {
      const id = session.concurrent?.getStore() ?? session.userId;
      // The cookie's claims, backed by a real live session row (the DAL checks it on every call).
      return id ? { user: { id }, sessionId: await (await import("../support/sessions")).liveSessionId(id) } : null;
    },
    signIn: async () => undefined,
  };
});

const { AccessError, getProjectAccess, getTeamAccess } = await import("@/lib/dal/access");
const teamsDal = await import("@/lib/dal/teams");
const invites = await import("@/lib/dal/invites");
const { getDatabase } = await import("@/lib/db/client");
const { getSendOnlyBoss } = await import("@/lib/jobs/boss");

const RUNBOARD_URL = "https://runboard.example.test";
const saved = { DATABASE_URL: process.env.DATABASE_URL, RUNBOARD_URL: process.env.RUNBOARD_URL };
let t: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  process.env.DATABASE_URL = t.url;
  process.env.RUNBOARD_URL = RUNBOARD_URL;
});
afterAll(async () => {
  await (await getSendOnlyBoss(t.url)).stop({ graceful: false, close: true });
  await getDatabase().close();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await boss.stop({ graceful: false, close: true });
  await t.drop();
});

type Team = { id: string; slug: string; projectSlug: string; name: string };
type User = { id: string; email: string; password: string };

async function makeTeam(): Promise<Team> {
  const tag = randomBytes(4).toString("hex");
  const [team] = await t.db.insert(teams).values({ slug: `team-${tag}`, name: `Team ${tag}` }).returning();
  await t.db.insert(projects).values({ teamId: team!.id, slug: `project-${tag}`, name: `Project ${tag}` });
  return { id: team!.id, slug: team!.slug, projectSlug: `project-${tag}`, name: team!.name };
}

async function makeUser(team: Team | null, role: TeamRole, grants: string[] = []): Promise<User> {
  const tag = randomBytes(4).toString("hex");
  const password = `pw-${tag}-long-enough`;
  const [user] = await t.db.insert(users).values({ email: `${role}-${tag}@example.test`, name: `${role} ${tag}`, passwordHash: await bcrypt.hash(password, 4) }).returning();
  if (team) await t.db.insert(teamMembers).values({ teamId: team.id, userId: user!.id, role, grants });
  return { id: user!.id, email: user!.email, password };
}

const as = (user: User | null) => {
  session.userId = user?.id ?? null;
};

async function membership(team: Team, user: User) {
  const [row] = await t.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.userId, user.id)));
  return row ?? null;
}

const auditOf = (team: Team) => t.db.select().from(auditEvents).where(eq(auditEvents.teamId, team.id)).orderBy(auditEvents.createdAt);

async function accessCode(read: Promise<unknown>): Promise<string> {
  try {
    await read;
    return "ok";
  } catch (error) {
    if (error instanceof AccessError) return error.code;
    throw error;
  }
}

describe("who sees team settings", () => {
  test("managers see members with role, grants and effective permissions; members are forbidden, outsiders get not found", async () => {
    const team = await makeTeam();
    const owner = await makeUser(team, "owner");
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member", ["jobs:read"]);
    const outsider = await makeUser(await makeTeam(), "admin");

    as(admin);
    const settings = await teamsDal.getTeamSettings(team.slug);
    expect(settings.members.map((m) => m.role)).toEqual(["owner", "admin", "member"]);
    const m = settings.members.find((x) => x.userId === member.id)!;
    expect(m.grants).toEqual(["jobs:read"]);
    expect(m.permissions).toEqual(["jobs:read"]);
    expect(settings.members.find((x) => x.userId === owner.id)!.permissions).toEqual(["jobs:read", "jobs:write", "team:manage"]);
    expect(settings.members.find((x) => x.userId === admin.id)!.isYou).toBe(true);
    // The DTO carries names and emails, never password hashes.
    expect(JSON.stringify(settings)).not.toContain("$2");

    as(member);
    expect(await accessCode(teamsDal.getTeamSettings(team.slug))).toBe("forbidden");
    expect(await accessCode(teamsDal.listTeamAudit(team.slug))).toBe("forbidden");
    expect(await accessCode(teamsDal.changeMemberRole(team.slug, member.id, "admin"))).toBe("forbidden");
    expect(await accessCode(teamsDal.inviteMember(team.slug, "x@example.test", "admin", []))).toBe("forbidden");
    as(outsider);
    expect(await accessCode(teamsDal.getTeamSettings(team.slug))).toBe("not_found");
    expect(await accessCode(teamsDal.setMemberGrants(team.slug, member.id, ["jobs:write"]))).toBe("not_found");
    expect(await accessCode(teamsDal.removeMember(team.slug, member.id))).toBe("not_found");
    as(null);
    expect(await accessCode(teamsDal.getTeamSettings(team.slug))).toBe("unauthenticated");
    expect((await membership(team, member))!.grants).toEqual(["jobs:read"]);
    expect(await auditOf(team)).toHaveLength(0);
  });

  test("listMyTeams lists the user's teams and which ones they manage", async () => {
    const a = await makeTeam();
    const b = await makeTeam();
    const user = await makeUser(a, "member");
    await t.db.insert(teamMembers).values({ teamId: b.id, userId: user.id, role: "admin" });
    as(user);
    const mine = await teamsDal.listMyTeams();
    expect(mine.map((x) => [x.slug, x.role, x.canManage]).sort()).toEqual([[a.slug, "member", false], [b.slug, "admin", true]].sort());
    as(null);
    expect(await teamsDal.listMyTeams()).toEqual([]);
  });
});

describe("role rules", () => {
  test("an admin can neither change nor remove an owner, nor make or invite one", async () => {
    const team = await makeTeam();
    const owner = await makeUser(team, "owner");
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member");
    as(admin);
    expect(await teamsDal.changeMemberRole(team.slug, owner.id, "member")).toMatchObject({ ok: false, code: "owner_only" });
    expect(await teamsDal.removeMember(team.slug, owner.id)).toMatchObject({ ok: false, code: "owner_only" });
    expect(await teamsDal.changeMemberRole(team.slug, member.id, "owner")).toMatchObject({ ok: false, code: "owner_only" });
    expect(await teamsDal.changeMemberRole(team.slug, admin.id, "owner")).toMatchObject({ ok: false, code: "owner_only" });
    expect(await teamsDal.inviteMember(team.slug, "boss@example.test", "owner", [])).toMatchObject({ ok: false, code: "owner_only" });
    expect((await membership(team, owner))!.role).toBe("owner");
    expect((await membership(team, member))!.role).toBe("member");
    expect(await t.db.select().from(teamInvites).where(eq(teamInvites.teamId, team.id))).toHaveLength(0);
    expect(await auditOf(team)).toHaveLength(0);

    // Admins may manage members and other admins.
    expect(await teamsDal.changeMemberRole(team.slug, member.id, "admin")).toEqual({ ok: true, data: undefined });
    // Only owners make owners.
    as(owner);
    expect(await teamsDal.changeMemberRole(team.slug, member.id, "owner")).toEqual({ ok: true, data: undefined });
    expect((await membership(team, member))!.role).toBe("owner");
  });

  test("a team always keeps an owner: the last one cannot demote or remove themselves", async () => {
    const team = await makeTeam();
    const owner = await makeUser(team, "owner");
    const second = await makeUser(team, "admin");
    as(owner);
    expect(await teamsDal.changeMemberRole(team.slug, owner.id, "admin")).toMatchObject({ ok: false, code: "last_owner", message: expect.stringContaining("You are the team's last owner") });
    expect(await teamsDal.removeMember(team.slug, owner.id)).toMatchObject({ ok: false, code: "last_owner" });
    expect((await membership(team, owner))!.role).toBe("owner");

    // With a second owner, one may step down; then the other is the last and is held.
    expect((await teamsDal.changeMemberRole(team.slug, second.id, "owner")).ok).toBe(true);
    expect((await teamsDal.changeMemberRole(team.slug, owner.id, "admin")).ok).toBe(true);
    as(second);
    expect(await teamsDal.removeMember(team.slug, second.id)).toMatchObject({ ok: false, code: "last_owner" });
    expect(await teamsDal.changeMemberRole(team.slug, second.id, "member")).toMatchObject({ ok: false, code: "last_owner" });
    const owners = await t.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.role, "owner")));
    expect(owners.map((o) => o.userId)).toEqual([second.id]);
  });

  test("two owners demoting each other at once leave one owner (the team row lock serializes them)", async () => {
    const team = await makeTeam();
    const a = await makeUser(team, "owner");
    const b = await makeUser(team, "owner");
    // Two requests in flight at once, each with its own session.
    const asUser = <T>(user: User, call: () => Promise<T>) => session.concurrent!.run(user.id, call);
    const results = await Promise.all([asUser(a, () => teamsDal.changeMemberRole(team.slug, b.id, "admin")), asUser(b, () => teamsDal.changeMemberRole(team.slug, a.id, "admin"))]);
    const owners = await t.db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.role, "owner")));
    expect(owners).toHaveLength(1);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    // The second to take the lock is by then an admin (its role is re-read under the lock).
    expect(results.find((r) => !r.ok)).toMatchObject({ code: "owner_only" });
  });

  test("a team without an owner keeps its last admin", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    as(admin);
    expect(await teamsDal.removeMember(team.slug, admin.id)).toMatchObject({ ok: false, code: "last_manager" });
    expect(await teamsDal.changeMemberRole(team.slug, admin.id, "member")).toMatchObject({ ok: false, code: "last_manager" });
    expect((await membership(team, admin))!.role).toBe("admin");
    const second = await makeUser(team, "admin");
    expect((await teamsDal.removeMember(team.slug, admin.id)).ok).toBe(true);
    as(second);
    expect(await teamsDal.removeMember(team.slug, second.id)).toMatchObject({ ok: false, code: "last_manager" });
  });

  test("removing a member takes their access away; the removal is audited", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member", ["jobs:read"]);
    as(admin);
    expect((await teamsDal.removeMember(team.slug, member.id)).ok).toBe(true);
    expect(await membership(team, member)).toBeNull();
    as(member);
    expect(await getProjectAccess(team.projectSlug)).toBeNull();
    const [event] = await auditOf(team);
    expect(event).toMatchObject({ action: "member.removed", actorUserId: admin.id, subjectUserId: member.id, details: { role: "member", grants: ["jobs:read"] } });
  });
});

describe("grants", () => {
  test("only grantable permissions can be granted, and only to members", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member");
    const other = await makeUser(team, "admin");
    as(admin);
    expect(await teamsDal.setMemberGrants(team.slug, member.id, ["team:manage"])).toMatchObject({ ok: false, code: "not_grantable" });
    expect(await teamsDal.setMemberGrants(team.slug, member.id, ["jobs:read", "root"])).toMatchObject({ ok: false, code: "not_grantable" });
    expect(await teamsDal.setMemberGrants(team.slug, other.id, ["jobs:read"])).toMatchObject({ ok: false, code: "role_has_all" });
    expect(await teamsDal.inviteMember(team.slug, "new@example.test", "member", ["team:manage"])).toMatchObject({ ok: false, code: "not_grantable" });
    expect((await membership(team, member))!.grants).toEqual([]);
    expect(await auditOf(team)).toHaveLength(0);
  });

  test("a grant takes effect on the member's very next request, and so does its removal", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member");
    as(member);
    expect((await getProjectAccess(team.projectSlug))!.permissions.has("jobs:read")).toBe(false);

    as(admin);
    expect(await teamsDal.setMemberGrants(team.slug, member.id, ["jobs:read"])).toEqual({ ok: true, data: undefined });
    as(member); // the same session (nothing re-issued), a new request
    expect((await getProjectAccess(team.projectSlug))!.permissions.has("jobs:read")).toBe(true);
    expect((await getTeamAccess(team.slug))!.permissions.has("jobs:write")).toBe(false);

    as(admin);
    expect((await teamsDal.setMemberGrants(team.slug, member.id, [])).ok).toBe(true);
    as(member);
    expect((await getProjectAccess(team.projectSlug))!.permissions.has("jobs:read")).toBe(false);

    const events = await auditOf(team);
    expect(events.map((e) => [e.action, e.details])).toEqual([
      ["member.grants_changed", { from: [], to: ["jobs:read"], added: ["jobs:read"], removed: [] }],
      ["member.grants_changed", { from: ["jobs:read"], to: [], added: [], removed: ["jobs:read"] }],
    ]);
    as(admin);
    expect(await teamsDal.setMemberGrants(team.slug, member.id, [])).toMatchObject({ ok: false, code: "unchanged" });
  });

  test("each change and its audit event are written by the same transaction", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const member = await makeUser(team, "member");
    as(admin);
    const xminOf = async (query: ReturnType<typeof sql>) => (await t.db.execute<{ x: string }>(query))[0]!.x;

    await teamsDal.setMemberGrants(team.slug, member.id, ["jobs:read", "jobs:write"]);
    const grantTx = await xminOf(sql`select xmin::text as x from team_members where team_id = ${team.id} and user_id = ${member.id}`);
    expect(await xminOf(sql`select xmin::text as x from audit_events where team_id = ${team.id} and action = 'member.grants_changed'`)).toBe(grantTx);

    await teamsDal.changeMemberRole(team.slug, member.id, "admin");
    const roleTx = await xminOf(sql`select xmin::text as x from team_members where team_id = ${team.id} and user_id = ${member.id}`);
    expect(roleTx).not.toBe(grantTx);
    expect(await xminOf(sql`select xmin::text as x from audit_events where team_id = ${team.id} and action = 'member.role_changed'`)).toBe(roleTx);

    const invited = await teamsDal.inviteMember(team.slug, "tx@example.test", "member", ["jobs:read"]);
    if (!invited.ok) throw new Error(invited.message);
    const inviteTx = await xminOf(sql`select xmin::text as x from team_invites where id = ${invited.data.inviteId}`);
    expect(await xminOf(sql`select xmin::text as x from audit_events where team_id = ${team.id} and action = 'invite.created'`)).toBe(inviteTx);
    expect(await xminOf(sql`select xmin::text as x from notifications where kind = 'invite' and to_email = 'tx@example.test'`)).toBe(inviteTx);
    // The email's delivery run (and its pg-boss job) commit with it too.
    const [delivery] = await t.db.select({ id: jobRuns.id, payload: jobRuns.payload }).from(jobRuns).where(sql`${jobRuns.jobType} = 'notification_delivery' and xmin::text = ${inviteTx}`);
    expect(delivery).toBeDefined();
  });
});

describe("invites", () => {
  async function tokenFromOutbox(email: string): Promise<string> {
    const [mail] = await t.db.select().from(notifications).where(and(eq(notifications.kind, "invite"), eq(notifications.toEmail, email))).orderBy(sql`${notifications.createdAt} desc`).limit(1);
    const match = mail?.bodyText.match(/\/invite\/([A-Za-z0-9_-]+)/);
    if (!match) throw new Error(`no invite link for ${email}`);
    return match[1]!;
  }

  test("an invite is an outbox email with a link; only the token's hash is stored; a new person joins with name and password", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    as(admin);
    const result = await teamsDal.inviteMember(team.slug, "  New.Person@Example.test ", "member", ["jobs:read"]);
    expect(result.ok).toBe(true);

    const [mail] = await t.db.select().from(notifications).where(eq(notifications.toEmail, "new.person@example.test"));
    expect(mail).toMatchObject({ kind: "invite", status: "pending", runId: null, subject: `[Runboard] Join ${team.name}` });
    expect(mail!.bodyText).toContain(`${RUNBOARD_URL}/invite/`);
    const token = await tokenFromOutbox("new.person@example.test");
    expect(token.length).toBeGreaterThanOrEqual(40);
    const [invite] = await t.db.select().from(teamInvites).where(eq(teamInvites.teamId, team.id));
    expect(invite!.tokenHash).toBe(teamsDal.hashInviteToken(token));
    expect(JSON.stringify(invite)).not.toContain(token);
    const days = (invite!.expiresAt.getTime() - invite!.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(7, 1);
    expect((await teamsDal.getTeamSettings(team.slug)).invites.map((i) => [i.email, i.role, i.grants])).toEqual([["new.person@example.test", "member", ["jobs:read"]]]);

    as(null);
    expect(await invites.getInviteLanding(token)).toMatchObject({ state: "open", teamName: team.name, email: "new.person@example.test", hasAccount: false, signedIn: null });
    expect(await invites.acceptInviteWithNewAccount(token, "New Person", "a-good-password")).toEqual({ ok: true, email: "new.person@example.test" });

    const [user] = await t.db.select().from(users).where(eq(users.email, "new.person@example.test"));
    expect(await bcrypt.compare("a-good-password", user!.passwordHash)).toBe(true);
    expect(await membership(team, { id: user!.id, email: "", password: "" })).toMatchObject({ role: "member", grants: ["jobs:read"] });
    const joined = (await auditOf(team)).find((e) => e.action === "member.joined");
    expect(joined).toMatchObject({ actorUserId: user!.id, subjectUserId: user!.id, details: { role: "member", newAccount: true } });

    // The link works once.
    expect(await invites.getInviteLanding(token)).toMatchObject({ state: "accepted" });
    expect(await invites.acceptInviteWithNewAccount(token, "Someone Else", "another-password")).toMatchObject({ ok: false, code: "gone" });
    expect(await invites.getInviteLanding("not-a-real-token-but-long-enough")).toEqual({ state: "unknown" });
  });

  test("an existing account accepts with its password; a wrong one is refused and joins nothing", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const elsewhere = await makeUser(await makeTeam(), "admin");
    as(admin);
    expect((await teamsDal.inviteMember(team.slug, elsewhere.email.toUpperCase(), "admin", ["jobs:read"])).ok).toBe(true);
    const token = await tokenFromOutbox(elsewhere.email.toLowerCase());
    as(null);
    expect(await invites.getInviteLanding(token)).toMatchObject({ state: "open", hasAccount: true });
    expect(await invites.acceptInviteWithNewAccount(token, "Dup", "a-good-password")).toMatchObject({ ok: false, code: "has_account" });
    expect(await invites.acceptInviteWithPassword(token, "wrong-password")).toMatchObject({ ok: false, code: "bad_password" });
    expect(await membership(team, elsewhere)).toBeNull();
    expect(await invites.acceptInviteWithPassword(token, elsewhere.password)).toMatchObject({ ok: true });
    // Grants mean nothing for an admin, so none were stored.
    expect(await membership(team, elsewhere)).toMatchObject({ role: "admin", grants: [] });

    // A signed-in invitee accepts with one click; someone else signed in cannot use their link.
    as(admin);
    const third = await makeUser(null, "member");
    expect((await teamsDal.inviteMember(team.slug, third.email, "member", [])).ok).toBe(true);
    const token3 = await tokenFromOutbox(third.email);
    as(elsewhere);
    expect(await invites.acceptInviteSignedIn(token3)).toMatchObject({ ok: false, code: "wrong_user" });
    as(third);
    expect(await invites.getInviteLanding(token3)).toMatchObject({ signedIn: { email: third.email, isInvitee: true } });
    expect(await invites.acceptInviteSignedIn(token3)).toMatchObject({ ok: true });
    expect(await membership(team, third)).toMatchObject({ role: "member", grants: [] });
  });

  test("revoked, expired and replaced invites stop working; members cannot be invited again", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    as(admin);
    expect(await teamsDal.inviteMember(team.slug, admin.email, "member", [])).toMatchObject({ ok: false, code: "already_member" });

    const first = await teamsDal.inviteMember(team.slug, "twice@example.test", "member", []);
    const token1 = await tokenFromOutbox("twice@example.test");
    const second = await teamsDal.inviteMember(team.slug, "twice@example.test", "admin", []);
    const token2 = await tokenFromOutbox("twice@example.test");
    expect(first.ok && second.ok).toBe(true);
    expect(token2).not.toBe(token1);
    expect(await invites.getInviteLanding(token1)).toMatchObject({ state: "revoked" });
    expect((await teamsDal.getTeamSettings(team.slug)).invites).toHaveLength(1);

    if (!second.ok) throw new Error("second invite refused");
    expect(await teamsDal.revokeInvite(team.slug, second.data.inviteId)).toEqual({ ok: true, data: undefined });
    expect(await teamsDal.revokeInvite(team.slug, second.data.inviteId)).toMatchObject({ ok: false, code: "not_found" });
    as(null);
    expect(await invites.acceptInviteWithNewAccount(token2, "Twice", "a-good-password")).toMatchObject({ ok: false, code: "gone", message: expect.stringContaining("withdrawn") });

    as(admin);
    await teamsDal.inviteMember(team.slug, "late@example.test", "member", []);
    const late = await tokenFromOutbox("late@example.test");
    await t.db.update(teamInvites).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(teamInvites.tokenHash, teamsDal.hashInviteToken(late)));
    as(null);
    expect(await invites.getInviteLanding(late)).toMatchObject({ state: "expired" });
    expect(await invites.acceptInviteWithNewAccount(late, "Late", "a-good-password")).toMatchObject({ ok: false, message: expect.stringContaining("expired") });
    expect(await t.db.select().from(users).where(sql`lower(${users.email}) in ('late@example.test', 'twice@example.test')`)).toHaveLength(0);

    // Another team's admin cannot revoke this team's invites.
    const outsider = await makeUser(await makeTeam(), "admin");
    as(admin);
    const open = await teamsDal.inviteMember(team.slug, "keep@example.test", "member", []);
    as(outsider);
    if (!open.ok) throw new Error("invite refused");
    expect(await accessCode(teamsDal.revokeInvite(team.slug, open.data.inviteId))).toBe("not_found");
    const actions = (await auditOf(team)).map((e) => e.action);
    expect(actions.filter((a) => a === "invite.revoked")).toHaveLength(2); // replaced + revoked
  });

  test("an invite stops working once its inviter no longer holds team:manage (demoted, removed or deleted)", async () => {
    const team = await makeTeam();
    const owner = await makeUser(team, "owner");
    const admin = await makeUser(team, "admin");
    as(admin);
    for (const email of ["demoted@example.test", "removed@example.test", "deleted@example.test"]) {
      expect((await teamsDal.inviteMember(team.slug, email, "member", ["jobs:read"])).ok).toBe(true);
    }
    const demotedToken = await tokenFromOutbox("demoted@example.test");
    as(null);
    expect(await invites.getInviteLanding(demotedToken)).toMatchObject({ state: "open" });

    // Demoted to a member with every grant there is: still no team:manage.
    as(owner);
    expect((await teamsDal.changeMemberRole(team.slug, admin.id, "member")).ok).toBe(true);
    expect((await teamsDal.setMemberGrants(team.slug, admin.id, ["jobs:read", "jobs:write"])).ok).toBe(true);
    as(null);
    expect(await invites.getInviteLanding(demotedToken)).toMatchObject({ state: "inviter_lost", teamName: team.name });
    const refused = await invites.acceptInviteWithNewAccount(demotedToken, "Demoted", "a-good-password");
    expect(refused).toEqual({ ok: false, code: "gone", message: "This invite no longer works: the person who sent it can no longer manage the team. Ask a current team admin to invite you again." });
    expect(await t.db.select().from(users).where(eq(users.email, "demoted@example.test"))).toHaveLength(0);

    // Made admin again, their open invites work again (nothing was revoked).
    as(owner);
    expect((await teamsDal.changeMemberRole(team.slug, admin.id, "admin")).ok).toBe(true);
    as(null);
    expect(await invites.getInviteLanding(demotedToken)).toMatchObject({ state: "open" });
    // A disabled account speaks for no one, as its API keys do not.
    await t.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, admin.id));
    expect(await invites.getInviteLanding(demotedToken)).toMatchObject({ state: "inviter_lost" });
    await t.db.update(users).set({ disabledAt: null }).where(eq(users.id, admin.id));

    // Removed from the team: an existing account cannot accept either.
    const removedToken = await tokenFromOutbox("removed@example.test");
    const invitee = await makeUser(null, "member");
    await t.db.update(teamInvites).set({ email: invitee.email }).where(eq(teamInvites.tokenHash, teamsDal.hashInviteToken(removedToken)));
    as(owner);
    expect((await teamsDal.removeMember(team.slug, admin.id)).ok).toBe(true);
    as(null);
    expect(await invites.acceptInviteWithPassword(removedToken, invitee.password)).toMatchObject({ ok: false, code: "gone", message: expect.stringContaining("can no longer manage the team") });
    as(invitee);
    expect(await invites.acceptInviteSignedIn(removedToken)).toMatchObject({ ok: false, code: "gone" });
    expect(await membership(team, invitee)).toBeNull();

    // The inviter's account deleted (invited_by set null): the invite speaks for no one.
    const deletedToken = await tokenFromOutbox("deleted@example.test");
    await t.db.delete(users).where(eq(users.id, admin.id));
    as(null);
    expect(await invites.getInviteLanding(deletedToken)).toMatchObject({ state: "inviter_lost" });
    expect(await invites.acceptInviteWithNewAccount(deletedToken, "Deleted", "a-good-password")).toMatchObject({ ok: false, code: "gone" });
  });
});

describe("audit log", () => {
  test("pages through events of one transaction (same timestamp) without skipping or repeating", async () => {
    const team = await makeTeam();
    const admin = await makeUser(team, "admin");
    const total = teamsDal.AUDIT_PAGE_SIZE * 2 + 5;
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < total; i++) await recordAudit(tx, { action: "member.grants_changed", actor: { userId: admin.id, apiKeyId: null }, teamId: team.id, subjectUserId: admin.id, details: { i } });
    });
    as(admin);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await teamsDal.listTeamAudit(team.slug, cursor);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(total);
    const first = (await teamsDal.listTeamAudit(team.slug)).events[0]!;
    expect(first.actor).toEqual({ kind: "user", name: expect.stringContaining("admin") });
    // A tampered cursor starts from the newest page instead of failing.
    expect((await teamsDal.listTeamAudit(team.slug, "garbage")).events[0]!.id).toBe(first.id);
  });
});
