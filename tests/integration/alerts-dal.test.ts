import { randomBytes } from "node:crypto";
import { and, count, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { alertRules, apiKeys, auditEvents, projects, teamMembers, teams, users, type TeamRole } from "@/lib/db/schema";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, openTestEnv } from "../support/fixtures";

/**
 * Alert rules through the DAL as the settings page and /api/v1/alert-rules call it (real
 * database, real permission checks). Only the session is stubbed: `as(user)` is who the next
 * calls run as; API keys are real rows authenticated by the real lookup.
 */
const session = vi.hoisted(() => ({ userId: null as string | null }));
vi.mock("server-only", () => ({}));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.userId ? { user: { id: session.userId }, sessionId: await (await import("../support/sessions")).liveSessionId(session.userId) } : null),
  signIn: async () => undefined,
}));

const { AccessError } = await import("@/lib/dal/access");
const dal = await import("@/lib/dal/alerts");
const { authenticateApiKey, hashApiKey } = await import("@/lib/dal/api-keys");
const { withApiPrincipal } = await import("@/lib/dal/principal");
const { getDatabase } = await import("@/lib/db/client");

const saved = process.env.DATABASE_URL;
let t: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  process.env.DATABASE_URL = t.url;
});
afterAll(async () => {
  await getDatabase().close();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  await closeTestEnv({ t, boss });
});

type User = { id: string };
type Team = { id: string; slug: string; owner: User; admin: User; reader: User; member: User; project: string };

async function makeUser(): Promise<User> {
  const tag = randomBytes(4).toString("hex");
  const [user] = await t.db.insert(users).values({ email: `u-${tag}@example.test`, name: `User ${tag}`, passwordHash: "x" }).returning();
  return { id: user!.id };
}

async function join(teamId: string, role: TeamRole, grants: string[] = []): Promise<User> {
  const user = await makeUser();
  await t.db.insert(teamMembers).values({ teamId, userId: user.id, role, grants });
  return user;
}

/** A team with an owner, an admin, a member who reads runs, one who does not, and a project. */
async function makeTeam(): Promise<Team> {
  const tag = randomBytes(4).toString("hex");
  const [team] = await t.db.insert(teams).values({ slug: `alerts-${tag}`, name: `Alerts ${tag}` }).returning();
  await t.db.insert(projects).values({ teamId: team!.id, slug: `alerts-${tag}-app`, name: `App ${tag}` });
  return {
    id: team!.id,
    slug: team!.slug,
    owner: await join(team!.id, "owner"),
    admin: await join(team!.id, "admin"),
    reader: await join(team!.id, "member", ["jobs:read"]),
    member: await join(team!.id, "member"),
    project: `alerts-${tag}-app`,
  };
}

const as = (user: User | null) => {
  session.userId = user?.id ?? null;
};

/** "ok", a refusal's code, or an AccessError's code. */
async function code(call: Promise<unknown>): Promise<string> {
  try {
    const result = (await call) as { ok?: boolean; code?: string } | string | null;
    if (result === null) return "null";
    if (typeof result === "string") return result;
    return result.ok === false ? (result.code ?? "refused") : "ok";
  } catch (error) {
    if (error instanceof AccessError) return error.code;
    throw error;
  }
}

async function fieldsOf(call: Promise<unknown>): Promise<string[]> {
  const result = (await call) as { ok: boolean; fieldErrors?: Record<string, string[]> };
  expect(result.ok).toBe(false);
  return Object.keys(result.fieldErrors ?? {});
}

const ruleCount = async (teamId: string) => (await t.db.select({ n: count() }).from(alertRules).where(eq(alertRules.teamId, teamId)))[0]!.n;
const valid = { name: "Imports failing", jobTypes: ["contacts_import"] };

async function keyFor(team: Team, user: User, scopes: string[]) {
  const key = `rb_${randomBytes(4).toString("hex")}_${randomBytes(32).toString("base64url")}`;
  await t.db.insert(apiKeys).values({ teamId: team.id, name: "k", prefix: key.slice(3, 11), keyHash: hashApiKey(key), scopes, createdBy: user.id });
  const principal = await authenticateApiKey(key);
  if (!principal) throw new Error("key not accepted");
  return <T,>(fn: () => Promise<T>) => withApiPrincipal(principal, fn);
}

describe("a team admin", () => {
  test("creates, lists, edits, disables and deletes rules; each change is audited", async () => {
    const team = await makeTeam();
    as(team.admin);
    const created = await dal.createAlertRule(team.slug, {
      name: "  Imports failing  ",
      jobTypes: ["contacts_import", "demo_paced", "contacts_import"],
      project: team.project,
      statuses: ["dead_letter"],
      recipients: "members",
      recipientIds: [team.reader.id, team.admin.id],
      throttleMinutes: 15,
    });
    if (!created.ok) throw new Error(JSON.stringify(created));
    expect(created.rule).toMatchObject({
      name: "Imports failing",
      jobTypes: ["contacts_import", "demo_paced"],
      project: { slug: team.project },
      statuses: ["dead_letter"],
      recipients: "members",
      throttleMinutes: 15,
      enabled: true,
      lastAlertAt: null,
    });
    expect(created.rule.members.map((m) => m.id).sort()).toEqual([team.reader.id, team.admin.id].sort());
    const [row] = await t.db.select().from(alertRules).where(eq(alertRules.id, created.rule.id));
    expect(row!.throttleSeconds).toBe(900); // stored in seconds for the engine

    const list = await dal.listAlertRules(team.slug);
    expect(list.map((r) => r.id)).toEqual([created.rule.id]);

    const edited = await dal.updateAlertRule(team.slug, created.rule.id, { recipients: "admins", project: null, throttleMinutes: 60, enabled: false });
    expect(edited).toMatchObject({ ok: true, rule: { recipients: "admins", members: [], project: null, throttleMinutes: 60, enabled: false } });
    const [after] = await t.db.select().from(alertRules).where(eq(alertRules.id, created.rule.id));
    expect(after!.recipientIds).toEqual([]); // switching to admins forgets the named members

    expect(await dal.deleteAlertRule(team.slug, created.rule.id)).toBe("deleted");
    expect(await dal.deleteAlertRule(team.slug, created.rule.id)).toBe("not_found");
    const actions = (await t.db.select({ action: auditEvents.action, actor: auditEvents.actorUserId }).from(auditEvents).where(eq(auditEvents.teamId, team.id))).map((e) => e.action).sort();
    expect(actions).toEqual(["alert_rule.created", "alert_rule.deleted", "alert_rule.updated"]);

    // The owner manages them too.
    as(team.owner);
    expect(await code(dal.createAlertRule(team.slug, valid))).toBe("ok");
  });

  test("the form's choices are the project job types, the team's projects and members who can read runs", async () => {
    const team = await makeTeam();
    as(team.admin);
    const choices = await dal.getAlertFormChoices(team.slug);
    expect(choices.jobTypes.map((j) => j.name)).toContain("contacts_import");
    expect(choices.jobTypes.map((j) => j.name)).not.toContain("partition_creation"); // a system job
    expect(choices.projects.map((p) => p.slug)).toEqual([team.project]);
    const ids = choices.members.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([team.owner.id, team.admin.id, team.reader.id]));
    expect(ids).not.toContain(team.member.id);
  });
});

describe("refusals change nothing", () => {
  test("a member, another team's admin and a signed-out caller are refused every call", async () => {
    const team = await makeTeam();
    const other = await makeTeam();
    as(team.admin);
    const created = await dal.createAlertRule(team.slug, valid);
    if (!created.ok) throw new Error("setup");
    const id = created.rule.id;
    const before = await t.db.select().from(alertRules).where(eq(alertRules.id, id));

    for (const [who, expected] of [
      [team.member, "forbidden"],
      [team.reader, "forbidden"],
      [other.admin, "not_found"],
      [null, "unauthenticated"],
    ] as const) {
      as(who);
      expect(await code(dal.listAlertRules(team.slug))).toBe(expected);
      expect(await code(dal.getAlertFormChoices(team.slug))).toBe(expected);
      expect(await code(dal.createAlertRule(team.slug, valid))).toBe(expected);
      expect(await code(dal.updateAlertRule(team.slug, id, { enabled: false }))).toBe(expected);
      expect(await code(dal.deleteAlertRule(team.slug, id))).toBe(expected);
    }
    // Another team's admin naming the rule from their own team: it does not exist there.
    as(other.admin);
    expect(await code(dal.updateAlertRule(other.slug, id, { enabled: false }))).toBe("null");
    expect(await code(dal.deleteAlertRule(other.slug, id))).toBe("not_found");
    expect(await dal.getAlertRule(other.slug, id)).toBeNull();
    expect(await dal.listAlertRules(other.slug)).toEqual([]);

    expect(await t.db.select().from(alertRules).where(eq(alertRules.id, id))).toEqual(before);
    expect(await ruleCount(team.id)).toBe(1);
    const audits = await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.teamId, team.id));
    expect(audits[0]!.n).toBe(1);
  });

  test("API keys: a jobs:write key of an admin manages its own team only; a read key, a member's key are refused", async () => {
    const team = await makeTeam();
    const other = await makeTeam();
    const adminKey = await keyFor(team, team.admin, ["jobs:read", "jobs:write"]);
    const created = await adminKey(() => dal.createAlertRule(null, valid));
    if (!created.ok) throw new Error("setup");
    expect((await adminKey(() => dal.listAlertRules(null))).map((r) => r.id)).toEqual([created.rule.id]);
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.teamId, team.id), eq(auditEvents.action, "alert_rule.created")));
    expect(audit!.actorApiKeyId).not.toBeNull();

    const readKey = await keyFor(team, team.admin, ["jobs:read"]);
    const memberKey = await keyFor(team, team.reader, ["jobs:read", "jobs:write"]);
    for (const key of [readKey, memberKey]) {
      expect(await code(key(() => dal.listAlertRules(null)))).toBe("forbidden");
      expect(await code(key(() => dal.createAlertRule(null, valid)))).toBe("forbidden");
      expect(await code(key(() => dal.deleteAlertRule(null, created.rule.id)))).toBe("forbidden");
    }
    // Another team's admin key: the rule is not there, and the team slug in a call is ignored.
    const otherKey = await keyFor(other, other.admin, ["jobs:read", "jobs:write"]);
    expect(await otherKey(() => dal.getAlertRule(null, created.rule.id))).toBeNull();
    expect(await otherKey(() => dal.updateAlertRule(team.slug, created.rule.id, { enabled: false }))).toBeNull();
    expect(await otherKey(() => dal.deleteAlertRule(team.slug, created.rule.id))).toBe("not_found");
    expect(await otherKey(() => dal.listAlertRules(team.slug))).toEqual([]);
    expect(await ruleCount(team.id)).toBe(1);
    expect((await t.db.select().from(alertRules).where(eq(alertRules.id, created.rule.id)))[0]!.enabled).toBe(true);
  });
});

describe("validation", () => {
  test("bad input is refused field by field and stores nothing", async () => {
    const team = await makeTeam();
    const other = await makeTeam();
    const outsider = await makeUser();
    as(team.admin);
    const cases: [unknown, string][] = [
      [{ ...valid, name: "" }, "name"],
      [{ ...valid, name: "   " }, "name"],
      [{ ...valid, name: "a\u0000b" }, "name"],
      [{ ...valid, name: "x".repeat(1024 * 1024) }, "name"],
      [{ ...valid, name: { deep: { deeper: [1] } } }, "name"],
      [{ ...valid, jobTypes: [] }, "jobTypes"],
      [{ ...valid, jobTypes: ["no_such_type"] }, "jobTypes"],
      [{ ...valid, jobTypes: ["partition_creation"] }, "jobTypes"], // a system job type
      [{ ...valid, jobTypes: Array.from({ length: 1000 }, () => "contacts_import") }, "jobTypes"],
      [{ ...valid, project: other.project }, "project"], // another team's project
      [{ ...valid, project: "nope" }, "project"],
      [{ ...valid, statuses: [] }, "statuses"],
      [{ ...valid, statuses: ["completed"] }, "statuses"],
      [{ ...valid, recipients: "everyone" }, "recipients"],
      [{ ...valid, recipients: "members", recipientIds: [] }, "recipientIds"],
      [{ ...valid, recipients: "members", recipientIds: [other.admin.id] }, "recipientIds"], // another team's admin
      [{ ...valid, recipients: "members", recipientIds: [outsider.id] }, "recipientIds"],
      [{ ...valid, recipients: "members", recipientIds: [team.member.id] }, "recipientIds"], // cannot read runs
      [{ ...valid, recipients: "members", recipientIds: ["not-a-uuid"] }, "recipientIds"],
      [{ ...valid, throttleMinutes: 0 }, "throttleMinutes"],
      [{ ...valid, throttleMinutes: 1441 }, "throttleMinutes"],
      [{ ...valid, throttleMinutes: 1.5 }, "throttleMinutes"],
      [{ ...valid, throttleMinutes: "30" }, "throttleMinutes"],
    ];
    for (const [input, field] of cases) expect(await fieldsOf(dal.createAlertRule(team.slug, input)), JSON.stringify(input).slice(0, 80)).toContain(field);
    expect(await ruleCount(team.id)).toBe(0);

    const created = await dal.createAlertRule(team.slug, { ...valid, throttleMinutes: 1440 });
    if (!created.ok) throw new Error("setup");
    const id = created.rule.id;
    const before = await t.db.select().from(alertRules).where(eq(alertRules.id, id));
    expect(await fieldsOf(dal.updateAlertRule(team.slug, id, { recipients: "members" }))).toContain("recipientIds");
    expect(await fieldsOf(dal.updateAlertRule(team.slug, id, { project: other.project }))).toContain("project");
    expect(await fieldsOf(dal.updateAlertRule(team.slug, id, { teamId: other.id }))).toContain("body"); // unknown keys
    expect(await fieldsOf(dal.updateAlertRule(team.slug, id, { name: "z\u0000" }))).toContain("name");
    expect(await dal.updateAlertRule(team.slug, "not-a-uuid", { enabled: false })).toBeNull();
    expect(await t.db.select().from(alertRules).where(eq(alertRules.id, id))).toEqual(before);
  });

  test("a team holds at most 50 rules, also when creations race", async () => {
    const team = await makeTeam();
    as(team.admin);
    await t.db.insert(alertRules).values(Array.from({ length: dal.MAX_ALERT_RULES_PER_TEAM - 2 }, (_, i) => ({ teamId: team.id, name: `r${i}`, jobTypes: ["demo_paced"], statuses: ["failed" as const], throttleSeconds: 60 })));
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => code(dal.createAlertRule(team.slug, { ...valid, name: `race ${i}` }))));
    expect(results.filter((r) => r === "ok")).toHaveLength(2);
    expect(results.filter((r) => r === "limit_reached")).toHaveLength(3);
    expect(await ruleCount(team.id)).toBe(dal.MAX_ALERT_RULES_PER_TEAM);
    const refused = await dal.createAlertRule(team.slug, valid);
    expect(refused).toMatchObject({ ok: false, code: "limit_reached", message: expect.stringContaining("at most 50") });
    expect(await dal.listAlertRules(team.slug)).toHaveLength(dal.MAX_ALERT_RULES_PER_TEAM);
  });
});
