import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { CurrentUser } from "@/lib/dal/users";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, openTestEnv, type TestEnv } from "../support/fixtures";

// The DAL runs for real against this file's database; only the session is stood in for.
vi.mock("server-only", () => ({}));
const session = vi.hoisted(() => ({ user: null as CurrentUser | null }));
vi.mock("@/lib/dal/users", () => ({ getCurrentUser: async () => session.user }));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.user ? { user: { id: session.user.id }, sessionId: await (await import("../support/sessions")).liveSessionId(session.user.id) } : null),
}));

const { pollHistory, COUNT_CAP } = await import("@/lib/dal/history-poll");
const { sharedReads } = await import("@/lib/dal/shared-read");
const { AccessError } = await import("@/lib/dal/access");
const { getProjectInsights, getInstanceInsights } = await import("@/lib/dal/insights");

let env: TestEnv;
let t: TestDatabase;
const people: Record<string, CurrentUser> = {};
const ids: Record<string, string> = {};
const slug = { a: `pa-${randomUUID().slice(0, 6)}`, b: `pb-${randomUUID().slice(0, 6)}` };

async function user(key: string, instanceRole: "user" | "support" | "owner" = "user"): Promise<CurrentUser> {
  const email = `${key}-${randomUUID().slice(0, 6)}@example.test`;
  const [u] = await t.sql<{ id: string }[]>`insert into users (email, name, password_hash, instance_role) values (${email}, ${key}, 'x', ${instanceRole}) returning id`;
  return (people[key] = { id: u!.id, email, name: key, instanceRole });
}
const as = (key: string | null) => {
  session.user = key ? people[key]! : null;
  // Each case reads fresh: the shared reads' sharing is what one case tests on purpose.
  sharedReads.clear();
};
const body = async (...args: Parameters<typeof pollHistory>) => {
  const answer = await pollHistory(...args);
  if (answer.notModified) throw new Error("unexpected 304");
  return answer.body;
};

beforeAll(async () => {
  env = await openTestEnv();
  t = env.t;
  process.env.DATABASE_URL = t.url;
  const [ta] = await t.sql<{ id: string }[]>`insert into teams (slug, name) values (${`ta-${slug.a}`}, 'Team A') returning id`;
  const [tb] = await t.sql<{ id: string }[]>`insert into teams (slug, name) values (${`tb-${slug.b}`}, 'Team B') returning id`;
  ids.teamA = ta!.id;
  ids.teamB = tb!.id;
  const [pa] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${ta!.id}, ${slug.a}, 'A') returning id`;
  const [pb] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${tb!.id}, ${slug.b}, 'B') returning id`;
  ids.a = pa!.id;
  ids.b = pb!.id;
  await user("admin");
  await user("outsider");
  await user("support", "support");
  await user("owner", "owner");
  await t.sql`insert into team_members (team_id, user_id, role, grants) values (${ta!.id}, ${people.admin!.id}, 'admin', '{}'), (${tb!.id}, ${people.outsider!.id}, 'admin', '{}')`;

  const insert = async (projectId: string, teamId: string, status: string, n: number, hoursAgo: number, jobType = "demo_paced") =>
    (
      await t.sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error_message, queued_at, run_at, started_at, completed_at, progress_percent, current_stage)
      select gen_random_uuid(), ${teamId}, ${projectId}, ${jobType}, ${status}, 3, 1, '{}', ${status === "running" ? "token=sk_live_4eC39HqLyjWDarjtT1zdp7dc" : null},
        now() - make_interval(hours => ${hoursAgo}) - make_interval(secs => g), now(), now() - make_interval(hours => ${hoursAgo}),
        case when ${status} in ('completed', 'failed', 'cancelled', 'dead_letter') then now() - make_interval(hours => ${hoursAgo}) + make_interval(secs => g) end,
        case when ${status} = 'running' then 30 end, case when ${status} = 'running' then 'loading' end
      from generate_series(1, ${n}) g returning id`
    ).map((r) => r.id);
  // A: past the cap of completed runs today, 3 failed today, 5 failed two days ago (outside the window), 2 running, 1 pending.
  await insert(ids.a, ta!.id, "completed", COUNT_CAP + 5, 1);
  await insert(ids.a, ta!.id, "failed", 3, 2);
  await insert(ids.a, ta!.id, "failed", 5, 48);
  ids.aRunning = (await insert(ids.a, ta!.id, "running", 2, 0))[0]!;
  await insert(ids.a, ta!.id, "pending", 1, 0);
  // B: one running, two cancelled today; the newest run of A is runs_export.
  ids.bRunning = (await insert(ids.b, tb!.id, "running", 1, 0))[0]!;
  await insert(ids.b, tb!.id, "cancelled", 2, 1);
  await insert(ids.a, ta!.id, "completed", 1, 0, "runs_export");
  await t.sql`analyze job_runs`;
}, 120_000);
afterAll(() => closeTestEnv(env));

test("counts: active exactly, finished over the last 24 h only, each capped; the project's own runs only", async () => {
  as("admin");
  const { counts } = await body({ project: slug.a }, [], null);
  expect(counts.counts).toMatchObject({ pending: 1, running: 2, failed: 3, cancelled: 0, dead_letter: 0, completed: COUNT_CAP });
  expect(counts.capped).toEqual(["completed"]);
  expect(counts.windowHours).toBe(24);
  // The monitor for A's admin covers A only; support's covers both teams.
  expect((await body("monitor", [], null)).counts.counts).toMatchObject({ running: 2, cancelled: 0 });
  as("support");
  expect((await body("monitor", [], null)).counts.counts).toMatchObject({ running: 3, cancelled: 2, pending: 1 });
});

test("runs: only the listed ids the viewer may read, redacted for tenants; another team's ids are simply absent", async () => {
  as("admin");
  const mine = await body({ project: slug.a }, [ids.aRunning!, ids.bRunning!], null);
  expect(mine.runs.map((r) => r.id)).toEqual([ids.aRunning]);
  expect(mine.runs[0]).toMatchObject({ status: "running", progressPercent: 30, stage: "loading", attempts: 1, maxAttempts: 3 });
  expect(JSON.stringify(mine)).not.toContain("sk_live_");
  expect((await body("monitor", [ids.bRunning!], null)).runs).toEqual([]);
  as("support");
  const all = await body("monitor", [ids.aRunning!, ids.bRunning!], null);
  expect(all.runs.map((r) => r.id).sort()).toEqual([ids.aRunning!, ids.bRunning!].sort());
  expect(JSON.stringify(all)).toContain("sk_live_");
});

test("the shared reads never cross viewers: support's warm unredacted rows are not what a tenant gets, and ETags differ", async () => {
  as("support");
  const s = await pollHistory("monitor", [ids.aRunning!, ids.bRunning!], null);
  session.user = people.admin!; // no clear: the cache is warm with support's answer
  const a = await pollHistory("monitor", [ids.aRunning!, ids.bRunning!], s.etag);
  expect(a.notModified).toBe(false);
  if (a.notModified) return;
  expect(a.body.runs.map((r) => r.id)).toEqual([ids.aRunning]);
  expect(JSON.stringify(a.body)).not.toContain("sk_live_");
  expect((await pollHistory("monitor", [ids.aRunning!, ids.bRunning!], a.etag)).notModified).toBe(true);
});

test("access: signed out, another team's project and a project that does not exist refuse", async () => {
  as(null);
  await expect(pollHistory({ project: slug.a }, [], null)).rejects.toMatchObject({ code: "unauthenticated" });
  await expect(pollHistory("monitor", [], null)).rejects.toBeInstanceOf(AccessError);
  as("outsider");
  await expect(pollHistory({ project: slug.a }, [ids.aRunning!], null)).rejects.toMatchObject({ code: "not_found" });
  await expect(pollHistory({ project: "no-such-project" }, [], null)).rejects.toMatchObject({ code: "not_found" });
});

test("insights open on the job type that ran last; instance insights are for support and the owner only", async () => {
  as("admin");
  expect((await getProjectInsights(slug.a, undefined, "24h")).jobType).toBe("runs_export");
  expect((await getProjectInsights(slug.a, "demo_paced", "24h")).jobType).toBe("demo_paced");
  expect((await getProjectInsights(slug.a, "bogus", "24h")).jobType).toBe("runs_export");
  await expect(getInstanceInsights("24h")).rejects.toMatchObject({ code: "not_found" });
  for (const role of ["support", "owner"]) {
    as(role);
    const view = await getInstanceInsights("24h");
    const demo = view.rows.find((r) => r.jobType === "demo_paced")!;
    // Queued in the last 24 h: A's 10,005 completed + 3 failed + 3 active, B's 1 running + 2 cancelled (the old failures are outside).
    expect(demo.totals.runs).toBe(COUNT_CAP + 5 + 3 + 3 + 3);
    expect(demo.totals.failed).toBe(3);
    expect(demo.totals.p95Ms).not.toBeNull();
    expect(demo.sampled).toBe(1000);
  }
});
