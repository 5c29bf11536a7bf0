import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { auditEvents, jobRuns, projects, teamMembers, teams, users, type TeamRole } from "@/lib/db/schema";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, openTestEnv, runWorker, trigger, waitForRun } from "../support/fixtures";

/**
 * Teams and projects through the DAL as the web and API call it (real database, real permission
 * checks, real worker for soft_delete_cleanup). Only the session is stubbed: `as(user)` is who the
 * next calls run as; `concurrently` runs calls as different users at once.
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
      return id ? { user: { id }, sessionId: await (await import("../support/sessions")).liveSessionId(id) } : null;
    },
    signIn: async () => undefined,
  };
});

const { AccessError, getProjectAccess } = await import("@/lib/dal/access");
const dal = await import("@/lib/dal/projects");
const teamsDal = await import("@/lib/dal/teams");
const { getDatabase } = await import("@/lib/db/client");
const { getJobDefinition } = await import("@/lib/jobs/catalog");
const { ProjectDeletedError, triggerRun } = await import("@/lib/jobs/enqueue");

const saved = process.env.DATABASE_URL;
let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  process.env.DATABASE_URL = t.url;
  worker = await runWorker(t.url, { staleAfterSeconds: 600, sweepIntervalSeconds: 600 });
});
afterAll(async () => {
  await getDatabase().close();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  await closeTestEnv({ t, boss }, worker);
});

type User = { id: string };

async function makeUser(): Promise<User> {
  const tag = randomBytes(4).toString("hex");
  const [user] = await t.db.insert(users).values({ email: `u-${tag}@example.test`, name: `User ${tag}`, passwordHash: "x" }).returning();
  return { id: user!.id };
}

async function join(teamSlug: string, user: User, role: TeamRole, grants: string[] = []): Promise<void> {
  const [team] = await t.db.select().from(teams).where(eq(teams.slug, teamSlug));
  await t.db.insert(teamMembers).values({ teamId: team!.id, userId: user.id, role, grants });
}

const as = (user: User | null) => {
  session.userId = user?.id ?? null;
};
const concurrently = <T,>(user: User, fn: () => Promise<T>) => session.concurrent!.run(user.id, fn);

async function code(call: Promise<unknown>): Promise<string> {
  try {
    const result = (await call) as { ok: boolean; code?: string };
    return result.ok ? "ok" : (result.code ?? "refused");
  } catch (error) {
    if (error instanceof AccessError) return error.code;
    throw error;
  }
}

async function newTeam(owner: User, name = `Team ${randomBytes(3).toString("hex")}`): Promise<string> {
  as(owner);
  const created = await teamsDal.createTeam(name);
  if (!created.ok) throw new Error(created.message);
  return created.data.slug;
}

async function newProject(teamSlug: string, name: string): Promise<string> {
  const created = await dal.createProject(teamSlug, name);
  if (!created.ok) throw new Error(created.message);
  return created.data.slug;
}

const projectRow = async (slug: string) => (await t.db.select().from(projects).where(eq(projects.slug, slug)))[0];

describe("creating teams", () => {
  test("a signed-in person creates a team and owns it; names are checked, slugs are safe and unique", async () => {
    const me = await makeUser();
    as(me);
    const created = await teamsDal.createTeam("  Ünïcode   Crew  ");
    expect(created).toMatchObject({ ok: true, data: { name: "Ünïcode Crew" } });
    const slug = created.ok ? created.data.slug : "";
    expect(slug).toMatch(/^unicode-crew(-[a-z0-9]+)?$/);
    const [membership] = await t.db.select().from(teamMembers).innerJoin(teams, eq(teams.id, teamMembers.teamId)).where(and(eq(teams.slug, slug), eq(teamMembers.userId, me.id)));
    expect(membership?.team_members.role).toBe("owner");
    const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.teamId, membership!.teams.id), eq(auditEvents.action, "team.created")));
    expect(event?.actorUserId).toBe(me.id);

    expect(await code(teamsDal.createTeam("ünïcode crew"))).toBe("invalid"); // the same person's duplicate
    expect(await code(teamsDal.createTeam("bad\u0000name"))).toBe("invalid");
    expect(await code(teamsDal.createTeam("x".repeat(1024 * 1024)))).toBe("invalid");
    expect(await code(teamsDal.createTeam("   "))).toBe("invalid");
    // Another person's team of the same name gets its own slug.
    const other = await makeUser();
    as(other);
    const again = await teamsDal.createTeam("Ünïcode Crew");
    expect(again.ok && again.data.slug).not.toBe(slug);
    const emoji = await teamsDal.createTeam("🚀🚀");
    expect(emoji.ok && emoji.data.slug).toMatch(/^team(-[a-z0-9]+)?$/);
    as(null);
    expect(await code(teamsDal.createTeam("Nobody"))).toBe("unauthenticated");
  });
});

describe("creating and renaming projects", () => {
  test("admins create; members are forbidden, outsiders get not found; names are unique per team, slugs everywhere", async () => {
    const owner = await makeUser();
    const team = await newTeam(owner);
    const otherTeam = await newTeam(await makeUser());
    as(owner);
    const first = await dal.createProject(team, "Billing");
    expect(first).toMatchObject({ ok: true, data: { name: "Billing" } });
    expect(await code(dal.createProject(team, " billing "))).toBe("duplicate");
    expect(await code(dal.createProject(team, "a\u0000b"))).toBe("invalid");
    expect(await code(dal.createProject(team, "y".repeat(1024 * 1024)))).toBe("invalid");
    expect(await code(dal.createProject(team, "tab\there"))).toBe("ok"); // whitespace collapses to one space
    // The same name in another team: allowed, with a slug of its own.
    const otherOwner = (await t.db.select().from(teamMembers).innerJoin(teams, eq(teams.id, teamMembers.teamId)).where(eq(teams.slug, otherTeam)))[0]!.team_members.userId;
    as({ id: otherOwner });
    const collide = await dal.createProject(otherTeam, "Billing");
    expect(collide.ok && first.ok && collide.data.slug !== first.data.slug).toBe(true);

    const member = await makeUser();
    await join(team, member, "member", ["jobs:read", "jobs:write"]);
    as(member);
    expect(await code(dal.createProject(team, "Sneaky"))).toBe("forbidden");
    as({ id: otherOwner });
    expect(await code(dal.createProject(team, "Sneaky"))).toBe("not_found");
    expect(await code(dal.renameProject(first.ok ? first.data.slug : "", "Mine now"))).toBe("not_found");
  });

  test("two admins creating the same name at once: one wins, the other is told the name is taken", async () => {
    const owner = await makeUser();
    const team = await newTeam(owner);
    const admin = await makeUser();
    await join(team, admin, "admin");
    const results = await Promise.all([concurrently(owner, () => dal.createProject(team, "Race")), concurrently(admin, () => dal.createProject(team, "Race"))]);
    expect(results.map((r) => (r.ok ? "ok" : r.code)).sort()).toEqual(["duplicate", "ok"]);
  });

  test("a rename keeps the slug; concurrent renames serialize and the audit chain stays consistent", async () => {
    const owner = await makeUser();
    const team = await newTeam(owner);
    const admin = await makeUser();
    await join(team, admin, "admin");
    as(owner);
    const slug = await newProject(team, "Old name");
    const renamed = await dal.renameProject(slug, "New name");
    expect(renamed).toMatchObject({ ok: true, data: { slug, name: "New name" } });
    expect(await code(dal.renameProject(slug, "New name"))).toBe("unchanged");
    await newProject(team, "Taken");
    expect(await code(dal.renameProject(slug, "taken"))).toBe("duplicate");

    await Promise.all([concurrently(owner, () => dal.renameProject(slug, "From owner")), concurrently(admin, () => dal.renameProject(slug, "From admin"))]);
    const events = await t.db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .innerJoin(teams, eq(teams.id, auditEvents.teamId))
      .where(and(eq(teams.slug, team), eq(auditEvents.action, "project.renamed")))
      .orderBy(auditEvents.createdAt, auditEvents.id);
    const chain = events.map((e) => e.details as { from: string; to: string });
    // Each rename starts from the name the previous one left.
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.to);
    expect((await projectRow(slug))?.name).toBe(chain.at(-1)!.to);
    expect((await projectRow(slug))?.slug).toBe(slug);
  });
});

describe("deleting and restoring", () => {
  test("refused while a run is active (naming it); then hidden everywhere, not triggerable, deleted twice refused, restored", async () => {
    const owner = await makeUser();
    const team = await newTeam(owner);
    as(owner);
    const slug = await newProject(team, "Doomed");
    const row = (await projectRow(slug))!;
    const tenant = { teamId: row.teamId, projectId: row.id, userId: owner.id };
    const running = await trigger(t.db, boss, tenant, "demo_paced", { items: 3, msPerItem: 300 });
    const runId = running.ok ? running.runId : "";
    const refused = await dal.deleteProject(slug);
    expect(refused).toMatchObject({ ok: false, code: "active_run", runId });
    expect(!refused.ok && refused.message).toContain(runId);
    await waitForRun(t.db, runId, (r) => r.status === "completed");

    const deleted = await dal.deleteProject(slug);
    expect(deleted.ok).toBe(true);
    const until = deleted.ok ? Date.parse(deleted.data.restoreUntil) - Date.parse(deleted.data.deletedAt) : 0;
    expect(until).toBe(7 * 86_400_000);
    expect(await getProjectAccess(slug)).toBeNull();
    expect((await dal.listMyProjects()).map((p) => p.slug)).not.toContain(slug);
    expect((await dal.listDeletedProjects()).map((p) => p.slug)).toContain(slug);
    expect(await dal.getDeletedProjectNotice(slug)).toMatchObject({ slug, expired: false });
    expect(await code(dal.deleteProject(slug))).toBe("already_deleted");
    expect(await code(dal.renameProject(slug, "Zombie"))).toBe("deleted");
    // The engine refuses a run for it, whoever asks (a schedule tick, a stale form).
    const def = getJobDefinition("demo_paced")!;
    await expect(triggerRun(t.db, boss, { def, payload: { items: 1, msPerItem: 10 }, teamId: row.teamId, projectId: row.id, triggeredBy: owner.id, notify: false })).rejects.toBeInstanceOf(ProjectDeletedError);
    // A new project may take the name; the old slug stays reserved, so old links never point to it.
    const successor = await newProject(team, "Doomed");
    expect(successor).not.toBe(slug);
    expect(await code(dal.restoreProject(slug))).toBe("duplicate");
    expect(await code(dal.renameProject(successor, "Successor"))).toBe("ok");

    const member = await makeUser();
    await join(team, member, "member", ["jobs:read", "jobs:write"]);
    as(member);
    expect(await code(dal.restoreProject(slug))).toBe("forbidden");
    expect(await dal.getDeletedProjectNotice(slug)).toBeNull();
    as(await makeUser());
    expect(await code(dal.restoreProject(slug))).toBe("not_found");
    expect(await dal.getDeletedProjectNotice(slug)).toBeNull();

    as(owner);
    expect(await code(dal.restoreProject(slug))).toBe("ok");
    expect(await code(dal.restoreProject(slug))).toBe("not_deleted");
    expect((await getProjectAccess(slug))?.project.name).toBe("Doomed");
    const actions = (await t.db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.teamId, row.teamId))).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["project.created", "project.deleted", "project.restored"]));
  });

  test("a restore after the 7 days is refused; soft_delete_cleanup removes that project (runs too) and keeps a newer one", async () => {
    const owner = await makeUser();
    const team = await newTeam(owner);
    as(owner);
    const old = await newProject(team, "Old");
    const recent = await newProject(team, "Recent");
    const oldRow = (await projectRow(old))!;
    const done = await trigger(t.db, boss, { teamId: oldRow.teamId, projectId: oldRow.id, userId: owner.id }, "demo_paced", { items: 1, msPerItem: 10 });
    await waitForRun(t.db, done.ok ? done.runId : "", (r) => r.status === "completed");
    expect(await code(dal.deleteProject(old))).toBe("ok");
    expect(await code(dal.deleteProject(recent))).toBe("ok");
    // The first was deleted eight days ago, the second six.
    await t.db.update(projects).set({ deletedAt: new Date(Date.now() - 8 * 86_400_000) }).where(eq(projects.slug, old));
    await t.db.update(projects).set({ deletedAt: new Date(Date.now() - 6 * 86_400_000) }).where(eq(projects.slug, recent));
    expect(await code(dal.restoreProject(old))).toBe("expired");
    expect(await dal.getDeletedProjectNotice(old)).toMatchObject({ expired: true });

    const def = getJobDefinition("soft_delete_cleanup")!;
    const started = await triggerRun(t.db, boss, { def, payload: def.payload.parse({}) as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
    const run = await waitForRun(t.db, started.ok ? started.runId : "", (r) => r.status !== "pending" && r.status !== "running");
    expect(run.status).toBe("completed");
    expect((run.result as { slugs: string[] }).slugs).toContain(old);
    expect(await projectRow(old)).toBeUndefined();
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, oldRow.id))).toHaveLength(0);
    expect((await projectRow(recent))?.deletedAt).not.toBeNull();
    const [purged] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.teamId, oldRow.teamId), eq(auditEvents.action, "project.purged")));
    expect(purged?.details).toMatchObject({ slug: old, name: "Old" });
    // Restoring the purged one: it no longer exists.
    expect(await code(dal.restoreProject(old))).toBe("not_found");
    expect(await code(dal.restoreProject(recent))).toBe("ok");
  });
});
