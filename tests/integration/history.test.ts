import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { CurrentUser } from "@/lib/dal/users";
import { historySearchParams, parseHistoryFilter, type HistoryFilter } from "@/lib/runs/history-filter";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, openTestEnv, type TestEnv } from "../support/fixtures";

// The DAL runs for real against this file's database; only the session is stood in for.
vi.mock("server-only", () => ({}));
// Counts here are tiny; a generous budget keeps a loaded test machine from turning them into estimates.
process.env.HISTORY_COUNT_BUDGET_MS = "2000";
const session = vi.hoisted(() => ({ user: null as CurrentUser | null }));
vi.mock("@/lib/dal/users", () => ({ getCurrentUser: async () => session.user }));
// The run DAL's one-query poll reads the Auth.js session itself.
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.user ? { user: { id: session.user.id }, sessionId: await (await import("../support/sessions")).liveSessionId(session.user.id) } : null),
}));

const { listRuns, bulkRuns } = await import("@/lib/dal/history");
const { getRunView } = await import("@/lib/dal/runs");
const { backfillAllRedactedRuns } = await import("@/lib/jobs/worker/redact-backfill");
const { finishAttempts } = await import("@/lib/jobs/lifecycle");
const { AccessError } = await import("@/lib/dal/access");

let env: TestEnv;
let t: TestDatabase;

type Seeded = { id: string; projectId: string; status: string; jobType: string; queuedAt: string; triggeredBy: string | null };
const people: Record<string, CurrentUser> = {};
const slugs = { a1: `a1-${randomUUID().slice(0, 6)}`, a2: `a2-${randomUUID().slice(0, 6)}`, b: `b-${randomUUID().slice(0, 6)}`, big: `big-${randomUUID().slice(0, 6)}` };
const ids: Record<string, string> = {};
const runs: Seeded[] = [];
const fileId = randomUUID();

async function user(key: string, instanceRole: "user" | "support" = "user"): Promise<CurrentUser> {
  const email = `${key}-${randomUUID().slice(0, 6)}@example.test`;
  const [u] = await t.sql<{ id: string }[]>`insert into users (email, name, password_hash, instance_role) values (${email}, ${key}, 'x', ${instanceRole}) returning id`;
  people[key] = { id: u!.id, email, name: key, instanceRole };
  return people[key];
}

const filter = (params: Record<string, string | string[]>): HistoryFilter => {
  const r = parseHistoryFilter(params);
  if (!r.ok) throw new Error(JSON.stringify(r.fieldErrors));
  return r.filter;
};
const as = (key: string) => (session.user = people[key]!);
const expected = (pred: (r: Seeded) => boolean) =>
  runs
    .filter(pred)
    .sort((x, y) => (x.queuedAt === y.queuedAt ? (x.id < y.id ? 1 : -1) : x.queuedAt < y.queuedAt ? 1 : -1))
    .map((r) => r.id);

/** Every page of a view, following next cursors. */
async function walk(scope: Parameters<typeof listRuns>[0], f: HistoryFilter): Promise<{ ids: string[]; pages: string[][]; cursors: (string | null)[] }> {
  const pages: string[][] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await listRuns(scope, { ...f, cursor });
    pages.push(page.rows.map((r) => r.id));
    cursors.push(page.prevCursor);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { ids: pages.flat(), pages, cursors };
}

beforeAll(async () => {
  env = await openTestEnv();
  t = env.t;
  process.env.DATABASE_URL = t.url;
  const [ta] = await t.sql<{ id: string }[]>`insert into teams (slug, name) values (${`ta-${slugs.a1}`}, 'Team A') returning id`;
  const [tb] = await t.sql<{ id: string }[]>`insert into teams (slug, name) values (${`tb-${slugs.b}`}, 'Team B') returning id`;
  ids.teamA = ta!.id;
  ids.teamB = tb!.id;
  for (const [key, team] of [["a1", ta!.id], ["a2", ta!.id], ["b", tb!.id], ["big", ta!.id]] as const) {
    const [p] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${team}, ${slugs[key]}, ${`Project ${key}`}) returning id`;
    ids[key] = p!.id;
  }
  await user("admin");
  await user("reader");
  await user("nobody");
  await user("outsider");
  await user("support", "support");
  await t.sql`insert into team_members (team_id, user_id, role, grants) values
    (${ids.teamA!}, ${people.admin!.id}, 'admin', '{}'),
    (${ids.teamA!}, ${people.reader!.id}, 'member', '{jobs:read}'),
    (${ids.teamA!}, ${people.nobody!.id}, 'member', '{}'),
    (${ids.teamB!}, ${people.outsider!.id}, 'admin', '{}')`;

  // 60 runs in a1 in groups of four sharing a timestamp (keyset ties), 10 in a2, 10 in b.
  const statuses = ["completed", "failed", "pending", "cancelled", "dead_letter", "running"];
  const types = ["demo_paced", "runs_export", "contacts_import"];
  const base = Date.parse("2026-06-01T00:00:00Z");
  const add = (projectId: string, teamId: string, i: number, extra: Partial<Seeded> & { error?: string | null; payload?: object; resourceId?: string } = {}) => {
    const status = extra.status ?? statuses[i % statuses.length]!;
    const jobType = extra.jobType ?? types[i % types.length]!;
    const queuedAt = new Date(base + Math.floor(i / 4) * 60_000).toISOString();
    const row = { id: randomUUID(), projectId, status, jobType, queuedAt, triggeredBy: extra.triggeredBy === undefined ? (i % 2 ? people.admin!.id : people.reader!.id) : extra.triggeredBy };
    runs.push(row);
    return {
      id: row.id,
      team_id: teamId,
      project_id: projectId,
      job_type: jobType,
      status,
      max_attempts: 3,
      payload: JSON.stringify(extra.payload ?? { items: i, msPerItem: 10 }),
      error_message: extra.error ?? (status === "failed" ? `Connection to smtp-${i}.example.com timed out` : null),
      triggered_by: row.triggeredBy,
      queued_at: queuedAt,
      resource_type: extra.resourceId ? "file" : null,
      resource_id: extra.resourceId ?? null,
    };
  };
  const rows = [
    ...Array.from({ length: 60 }, (_, i) => add(ids.a1!, ids.teamA!, i, i === 7 ? { payload: { fileId, note: "quarterly-contacts" }, resourceId: fileId, jobType: "contacts_import", status: "completed" } : {})),
    ...Array.from({ length: 10 }, (_, i) => add(ids.a2!, ids.teamA!, i)),
    ...Array.from({ length: 10 }, (_, i) => add(ids.b!, ids.teamB!, i, { error: i % 6 === 1 ? "Connection to smtp-b.example.com timed out" : null, triggeredBy: people.outsider!.id })),
  ];
  for (const r of rows) {
    await t.sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, error_message, triggered_by, queued_at, resource_type, resource_id)
      values (${r.id}, ${r.team_id}, ${r.project_id}, ${r.job_type}, ${r.status}, ${r.max_attempts}, ${r.payload}::jsonb, ${r.error_message}, ${r.triggered_by}, ${r.queued_at}, ${r.resource_type}, ${r.resource_id})`;
  }
  // A project past the exact-count limit.
  await t.sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, queued_at)
    select gen_random_uuid(), ${ids.teamA!}, ${ids.big!}, 'demo_paced', 'completed', 1, '{}'::jsonb, now() - g * interval '1 second' from generate_series(1, 1500) g`;
  // Rows written raw, as before migration 0010: the worker's backfill gives them their redacted text.
  await backfillAllRedactedRuns(t.sql, undefined, 0);
  await t.sql`analyze job_runs`;
});
afterAll(() => closeTestEnv(env));

describe("filter parsing", () => {
  test("lists, me, UTC times, bounds and a round trip through the query string", () => {
    const f = filter({ status: ["failed", "dead_letter"], jobType: "runs_export,demo_paced", triggeredBy: "me", from: "2026-06-01T10:00", to: "2026-06-02", q: "  timed out ", limit: "50", sort: "queued_asc" });
    expect(f).toMatchObject({ status: ["failed", "dead_letter"], jobType: ["runs_export", "demo_paced"], triggeredBy: "me", q: "timed out", limit: 50, sort: "queued_asc" });
    expect(f.from?.toISOString()).toBe("2026-06-01T10:00:00.000Z");
    expect(f.to?.toISOString()).toBe("2026-06-02T00:00:00.000Z");
    expect(parseHistoryFilter(historySearchParams(f))).toEqual({ ok: true, filter: f });
    expect(filter({}).limit).toBe(25);
    expect(historySearchParams(filter({})).toString()).toBe("");
  });

  test("invalid values are reported per field and dropped from the view", () => {
    const r = parseHistoryFilter({ status: "exploded", limit: "101", q: "ab", triggeredBy: "not-a-user" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.fieldErrors).sort()).toEqual(["limit", "q", "status", "triggeredBy"]);
    expect(r.filter).toMatchObject({ status: [], limit: 25 });
    expect(parseHistoryFilter({ limit: "0" }).ok).toBe(false);
    expect(parseHistoryFilter({ resourceId: randomUUID() })).toMatchObject({ ok: false, fieldErrors: { resourceType: ["Choose the resource type too."] } });
    expect(parseHistoryFilter({ from: "2026-06-02", to: "2026-06-01" }).ok).toBe(false);
  });
});

describe("listRuns", () => {
  test("keyset pages forward and back cover every run once, in order, across equal timestamps", async () => {
    as("admin");
    const f = filter({ limit: "7" });
    const forward = await walk({ project: slugs.a1 }, f);
    expect(forward.ids).toEqual(expected((r) => r.projectId === ids.a1));
    expect(new Set(forward.ids).size).toBe(60);
    // Back from the last page: previous cursors reproduce the same pages.
    let page = await listRuns({ project: slugs.a1 }, { ...f, cursor: undefined });
    const lastPages: string[][] = [];
    for (const _ of forward.pages.slice(1)) page = await listRuns({ project: slugs.a1 }, { ...f, cursor: page.nextCursor! });
    for (let i = forward.pages.length - 1; i >= 0; i--) {
      lastPages.unshift(page.rows.map((r) => r.id));
      if (!page.prevCursor) break;
      page = await listRuns({ project: slugs.a1 }, { ...f, cursor: page.prevCursor });
    }
    expect(lastPages).toEqual(forward.pages);
    const asc = await walk({ project: slugs.a1 }, filter({ limit: "9", sort: "queued_asc" }));
    expect(asc.ids).toEqual([...forward.ids].reverse());
  });

  test("each filter, alone and combined", async () => {
    as("admin");
    const p = { project: slugs.a1 };
    const a1 = (r: Seeded) => r.projectId === ids.a1;
    const cases: [Record<string, string | string[]>, (r: Seeded) => boolean][] = [
      [{ status: ["failed", "pending"] }, (r) => a1(r) && ["failed", "pending"].includes(r.status)],
      [{ status: "running" }, (r) => a1(r) && r.status === "running"],
      [{ jobType: "runs_export" }, (r) => a1(r) && r.jobType === "runs_export"],
      [{ triggeredBy: "me" }, (r) => a1(r) && r.triggeredBy === people.admin!.id],
      [{ triggeredBy: people.reader!.id }, (r) => a1(r) && r.triggeredBy === people.reader!.id],
      [{ from: "2026-06-01T00:03:00Z", to: "2026-06-01T00:06:00Z" }, (r) => a1(r) && r.queuedAt >= "2026-06-01T00:03" && r.queuedAt < "2026-06-01T00:06"],
      [{ status: "failed", jobType: ["demo_paced", "runs_export"], triggeredBy: "me" }, (r) => a1(r) && r.status === "failed" && ["demo_paced", "runs_export"].includes(r.jobType) && r.triggeredBy === people.admin!.id],
    ];
    for (const [params, pred] of cases) {
      const got = await walk(p, filter({ ...params, limit: "100" }));
      expect(got.ids, JSON.stringify(params)).toEqual(expected(pred));
      expect(got.ids.length, JSON.stringify(params)).toBeGreaterThan(0);
    }
    const resource = await listRuns(p, filter({ resourceType: "file", resourceId: fileId }));
    expect(resource.rows.map((r) => r.id)).toEqual([runs.find((r) => r.projectId === ids.a1 && r.jobType === "contacts_import" && r.status === "completed" && runs.indexOf(r) === 7)!.id]);
    // Text search: error messages (finished and active runs) and payload text, case-insensitive.
    const errors = await listRuns(p, filter({ q: "TIMED OUT", limit: "100" }));
    expect(errors.rows.map((r) => r.id)).toEqual(expected((r) => a1(r) && r.status === "failed"));
    expect(errors.rows[0]?.error).toMatch(/timed out/);
    // Small pages are served by reading the newest runs and matching; paging stays continuous.
    expect((await walk(p, filter({ q: "timed out", limit: "2" }))).ids).toEqual(expected((r) => a1(r) && r.status === "failed"));
    expect((await walk("monitor", filter({ q: "timed out", limit: "4" }))).ids).toEqual(expected((r) => r.projectId !== ids.b && r.status === "failed"));
    expect((await listRuns(p, filter({ q: "quarterly-contacts" }))).rows).toHaveLength(1);
    expect((await listRuns(p, filter({ q: "100%_match" }))).rows).toHaveLength(0);
    expect((await listRuns(p, filter({ q: "no-such-text-anywhere" }))).count).toEqual({ value: 0, exact: true });
  });

  test("counts are exact when small and an estimate past the limit", async () => {
    as("admin");
    expect((await listRuns({ project: slugs.a1 }, filter({}))).count).toEqual({ value: 60, exact: true });
    expect((await listRuns({ project: slugs.a1 }, filter({ status: "failed" }))).count).toEqual({ value: expected((r) => r.projectId === ids.a1 && r.status === "failed").length, exact: true });
    const big = await listRuns({ project: slugs.big }, filter({}));
    expect(big.count.exact).toBe(false);
    expect(big.count.value).toBeGreaterThan(1000);
  });

  test("a search the index cannot answer in time reads on in bounded steps, says so, and pages on", async () => {
    as("admin");
    const slug = `deep-${randomUUID().slice(0, 6)}`;
    const [p] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${ids.teamA!}, ${slug}, 'Deep') returning id`;
    // 3,000 runs, one a second; "needle" in the 300th, 2,200th and 2,800th newest.
    await t.sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, error_message, queued_at)
      select gen_random_uuid(), ${ids.teamA!}, ${p!.id}, 'demo_paced', 'failed', 1, '{}'::jsonb,
        case when g in (300, 2200, 2800) then 'needle ' || g end, now() - g * interval '1 second' from generate_series(1, 3000) g`;
    await backfillAllRedactedRuns(t.sql, undefined, 0);
    const q = filter({ q: "needle" });
    const errors = (page: Awaited<ReturnType<typeof listRuns>>) => page.rows.map((r) => r.error);
    // The newest 2,000 runs hold one match; the trigram index answers the rest at once.
    const indexed = await listRuns({ project: slug }, q);
    expect(errors(indexed)).toEqual(["needle 300", "needle 2200", "needle 2800"]);
    expect(indexed.search).toBeUndefined();
    // Through the index, a term of several words matches as a whole (its longest word alone would find all three).
    expect(errors(await listRuns({ project: slug }, filter({ q: "NEEDLE 2200" })))).toEqual(["needle 2200"]);
    expect(errors(await listRuns({ project: slug }, filter({ q: "needle_22" })))).toEqual([]);
    // Stand-in for an index that cannot answer in time: reads of 2,500 runs at a time instead.
    process.env.HISTORY_SEARCH_BUDGET_MS = "0";
    process.env.HISTORY_SEARCH_DEEP = "2500";
    try {
      const first = await listRuns({ project: slug }, q);
      expect(errors(first)).toEqual(["needle 300", "needle 2200"]);
      expect(first.search).toEqual({ read: 2500, toward: "older", more: "next" });
      expect(first.count).toEqual({ value: 2, exact: false, lowerBound: true });
      // Next goes on from the last run read, not the last match.
      const second = await listRuns({ project: slug }, { ...q, cursor: first.nextCursor! });
      expect(errors(second)).toEqual(["needle 2800"]);
      expect(second.search).toBeUndefined();
      expect(second.nextCursor).toBeNull();
      const back = await listRuns({ project: slug }, { ...q, cursor: second.prevCursor! });
      expect(errors(back)).toEqual(["needle 300", "needle 2200"]);
      expect(back.search).toEqual({ read: 2500, toward: "newer", more: "prev" });
      // Reading on toward newer runs finds none; the empty page still leads back (after run 300,
      // where it started).
      const newest = await listRuns({ project: slug }, { ...q, cursor: back.prevCursor! });
      expect(newest.rows).toEqual([]);
      expect(newest.prevCursor).toBeNull();
      expect(errors(await listRuns({ project: slug }, { ...q, cursor: newest.nextCursor! }))).toEqual(["needle 2200", "needle 2800"]);
    } finally {
      delete process.env.HISTORY_SEARCH_BUDGET_MS;
      delete process.env.HISTORY_SEARCH_DEEP;
      // The later tests count team A's runs.
      await t.sql`delete from projects where id = ${p!.id}`;
    }
  });

  test("scope: another team's runs never appear, and their project is not found", async () => {
    as("admin");
    const all = await walk("monitor", filter({ limit: "100" }));
    const mine = new Set([ids.a1, ids.a2, ids.big]);
    const byId = new Map(runs.map((r) => [r.id, r]));
    expect(all.ids.filter((id) => byId.get(id)?.projectId === ids.b)).toEqual([]);
    expect(all.ids.filter((id) => byId.has(id))).toEqual(expected((r) => mine.has(r.projectId)));
    expect(all.ids.length).toBe(70 + 1500);
    const search = await listRuns("monitor", filter({ q: "timed out", limit: "100" }));
    expect(search.rows.every((r) => r.project.slug !== slugs.b)).toBe(true);
    await expect(listRuns({ project: slugs.b }, filter({}))).rejects.toMatchObject({ code: "not_found" });

    as("outsider");
    const theirs = await walk("monitor", filter({ limit: "100" }));
    expect(theirs.ids).toEqual(expected((r) => r.projectId === ids.b));
    await expect(listRuns({ project: slugs.a1 }, filter({}))).rejects.toBeInstanceOf(AccessError);
  });

  test("the monitor shows only projects the user may read; support sees every team", async () => {
    as("reader");
    const reader = await listRuns("monitor", filter({ status: "failed", limit: "100" }));
    expect(reader.rows.map((r) => r.id)).toEqual(expected((r) => (r.projectId === ids.a1 || r.projectId === ids.a2) && r.status === "failed"));
    expect(reader.canWrite).toBe(false);
    as("nobody");
    const nobody = await listRuns("monitor", filter({}));
    expect(nobody).toMatchObject({ rows: [], projectCount: 0 });
    await expect(listRuns({ project: slugs.a1 }, filter({}))).rejects.toMatchObject({ code: "forbidden" });
    as("support");
    const support = await listRuns("monitor", filter({ status: "failed", limit: "100" }));
    expect(support.rows.map((r) => r.id).filter((id) => runs.some((r) => r.id === id))).toEqual(expected((r) => r.status === "failed"));
    expect(support.rows.some((r) => r.project.slug === slugs.b)).toBe(true);
  });
});

describe("bulkRuns", () => {
  const statusOf = async (id: string) => (await t.sql<{ status: string }[]>`select status from job_runs where id = ${id}`)[0]?.status;

  test("cancel: per-run outcomes, readable-only projects refused, other teams not found", async () => {
    const pendingA = runs.filter((r) => r.projectId === ids.a2 && r.status === "pending").map((r) => r.id);
    const completedA = runs.find((r) => r.projectId === ids.a2 && r.status === "completed")!.id;
    const pendingB = runs.find((r) => r.projectId === ids.b && r.status === "pending")!.id;

    as("reader");
    const refused = await bulkRuns("monitor", "cancel", [...pendingA, pendingB]);
    expect(refused.map((r) => r.outcome)).toEqual([...pendingA.map(() => "forbidden"), "not_found"]);
    for (const id of pendingA) expect(await statusOf(id)).toBe("pending");

    as("admin");
    const results = await bulkRuns("monitor", "cancel", [...pendingA, completedA, pendingB]);
    expect(results).toEqual([
      ...pendingA.map((runId) => ({ runId, outcome: "cancelled" })),
      { runId: completedA, outcome: "skipped", reason: "already completed" },
      { runId: pendingB, outcome: "not_found" },
    ]);
    for (const id of pendingA) expect(await statusOf(id)).toBe("cancelled");
    expect(await statusOf(pendingB)).toBe("pending");
    // A project scope only touches that project's runs.
    const other = runs.find((r) => r.projectId === ids.a1 && r.status === "pending")!.id;
    expect(await bulkRuns({ project: slugs.a2 }, "cancel", [other])).toEqual([{ runId: other, outcome: "not_found" }]);
    expect(await statusOf(other)).toBe("pending");
  });

  test("retry re-drives failed and dead-lettered runs and skips the rest", async () => {
    as("admin");
    const failed = runs.find((r) => r.projectId === ids.a1 && r.status === "failed")!.id;
    const completed = runs.find((r) => r.projectId === ids.a1 && r.status === "completed")!.id;
    const results = await bulkRuns({ project: slugs.a1 }, "retry", [failed, completed]);
    expect(results.map((r) => r.outcome)).toEqual(["retried", "skipped"]);
    expect(await statusOf(failed)).toBe("pending");
  });
});

describe("redaction at write time", () => {
  const secret = "s3cretPw9";
  const dsn = `postgres://app:${secret}@db.internal/app`;

  /** A run as the worker writes it: its attempt ended through the real lifecycle statement. */
  async function failedRun(projectId: string, message: string, payload: object): Promise<string> {
    const runId = randomUUID();
    await t.sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at)
      values (${runId}, ${ids.teamA!}, ${projectId}, 'demo_paced', 'running', 1, 1, ${JSON.stringify(payload)}::jsonb, now(), now(), now())`;
    const error = { message, type: "internal", source: "database", subType: "pg_08006", severity: 4, retryable: false, stack: `Error: ${message}\n    at connect (db.ts:1:1)` };
    expect(await finishAttempts(t.db, [{ runId, attempt: 1, outcome: { status: "failed", error }, durationMs: 5 }])).toEqual([true]);
    // Its payload was written raw (as by a release before 0010): the backfill redacts it.
    await backfillAllRedactedRuns(t.sql, undefined, 0);
    return runId;
  }

  test("search is not an oracle: probing a masked password one character at a time finds only what the redacted view shows", async () => {
    const slug = `oracle-${randomUUID().slice(0, 6)}`;
    const [p] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${ids.teamA!}, ${slug}, 'Oracle') returning id`;
    try {
      const runId = await failedRun(p!.id, `connect failed: ${dsn} (password=${secret})`, { dsn, note: `password=${secret}`, authToken: secret });
      as("reader");
      const view = await getRunView(slug, runId);
      const shown = `${view!.error!.message} ${JSON.stringify(view!.payload)}`.toLowerCase();
      expect(shown).not.toContain(secret.toLowerCase());
      const found = async (q: string) => (await listRuns({ project: slug }, filter({ q }))).rows.some((r) => r.id === runId);
      // The search works on what the tenant sees...
      expect(await found("password=")).toBe(true);
      expect(await found("connect failed: postgres://")).toBe(true);
      // ...and nothing beyond it, as a member and as support (support opens the run for the raw text).
      const probes = [...Array.from({ length: secret.length }, (_, k) => secret.slice(0, k + 1)).flatMap((prefix) => [`password=${prefix}`, `app:${prefix}`, `"authToken": "${prefix}`]), secret];
      for (const who of ["reader", "support"]) {
        as(who);
        for (const q of probes) expect(await found(q), `${who}: ${q}`).toBe(shown.includes(q.toLowerCase()));
      }
      as("support");
      expect((await getRunView(slug, runId))!.error!.message).toContain(secret);
    } finally {
      await t.sql`delete from projects where id = ${p!.id}`;
    }
  });

  test("an error is stored capped, with its redacted copy, and tenants read that copy (no redaction on read)", async () => {
    const slug = `capped-${randomUUID().slice(0, 6)}`;
    const [p] = await t.sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${ids.teamA!}, ${slug}, 'Capped') returning id`;
    try {
      const header = "a-".repeat(512 * 1024);
      const runId = await failedRun(p!.id, `Unknown column in header: ${header} ${dsn}`, { items: 1 });
      const [row] = await t.sql<{ error_message: string; error_message_public: string; stack: string }[]>`
        select error_message, error_message_public, error->>'stack' as stack from job_runs where id = ${runId}`;
      expect(row!.error_message.length).toBeLessThan(8 * 1024 + 64);
      expect(row!.stack.length).toBeLessThan(16 * 1024 + 64);
      expect(row!.error_message_public).toContain("more characters cut");
      const [step] = await t.sql<{ error_message_public: string }[]>`select error_message_public from job_run_steps where run_id = ${runId}`;
      expect(step!.error_message_public).toBe(row!.error_message_public);
      // What a tenant reads is the stored copy: mark it, and every tenant view shows the mark.
      await t.sql`update job_runs set error_message_public = 'stored for tenants' where id = ${runId}`;
      await t.sql`update job_run_steps set error_message_public = 'step stored for tenants' where run_id = ${runId}`;
      as("reader");
      const view = await getRunView(slug, runId);
      expect(view!.error!.message).toBe("stored for tenants");
      expect(view!.steps.find((s) => s.error)?.error?.message).toBe("step stored for tenants");
      expect((await listRuns({ project: slug }, filter({}))).rows[0]!.error).toBe("stored for tenants");
      as("support");
      expect((await getRunView(slug, runId))!.error!.message.startsWith("Unknown column in header: a-a-")).toBe(true);
    } finally {
      await t.sql`delete from projects where id = ${p!.id}`;
    }
  });
});
