import { expect, NOT_FOUND_PAGE, test, type APIRequestContext, type Browser } from "./support/test";
import { OUTSIDER_PROJECT, storageState, type Role } from "./support/accounts";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";

/**
 * GET /api/runs shares its reads across watchers (lib/dal/history-poll.ts), keyed by the viewer's
 * scope. Prove it never crosses a team: another team's run ids come back as nothing (not even
 * "not found" for one id), another team's project and its counts are 404, signed out is 401,
 * support's unredacted error never reaches a tenant, bad input is a 4xx that changes nothing;
 * /insights (instance-wide) does not exist for team admins and members.
 */
const SECRET = "postgres://u:supersecret@db/x";
const sql = e2eSql();
const ACME_SLUG = "acme-live-guard";
let acmeRun = "";
let globexRun = "";

async function as(browser: Browser, role: Role | null): Promise<{ request: APIRequestContext; close: () => Promise<void> }> {
  const context = await browser.newContext(role ? { storageState: storageState(role) } : { storageState: { cookies: [], origins: [] } });
  return { request: context.request, close: () => context.close() };
}

test.beforeAll(async () => {
  const acme = await ensureProject(sql, "acme", ACME_SLUG);
  const insert = async (projectId: string) => {
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error_message, queued_at, run_at, started_at, last_heartbeat, progress_percent, current_stage)
      select gen_random_uuid(), team_id, id, 'demo_paced', 'running', 3, 2, '{}', ${`attempt 1: connecting to ${SECRET}`}, now(), now(), now(), now(), 40, 'copying'
      from projects where id = ${projectId} returning id`;
    return run!.id;
  };
  acmeRun = await insert(acme);
  const [globex] = await sql<{ id: string }[]>`select id from projects where slug = ${OUTSIDER_PROJECT}`;
  globexRun = await insert(globex!.id);
});
test.afterAll(async () => {
  // Finished, so no other spec sees them active.
  await sql`update job_runs set status = 'cancelled', completed_at = now() where id in (${acmeRun}, ${globexRun})`;
  await sql.end();
});

const runsOf = async (response: { json: () => Promise<unknown> }) => ((await response.json()) as { runs: { id: string }[] }).runs.map((r) => r.id);

test("another team's run ids come back as nothing, warm shared reads included; support's unredacted error never reaches a tenant", async ({ browser }) => {
  const support = await as(browser, "support");
  const admin = await as(browser, "admin");
  const outsider = await as(browser, "outsider");
  try {
    const both = `/api/runs?ids=${acmeRun},${globexRun}`;
    // Support first: its unredacted answer is what the shared reads hold.
    const s = await support.request.get(both);
    expect(s.status()).toBe(200);
    const sBody = await s.text();
    expect(sBody).toContain("supersecret");
    expect(new Set(await runsOf(s))).toEqual(new Set([acmeRun, globexRun]));

    // Each tenant right after, with support's ETag: only its own run, redacted, and not a 304.
    for (const [who, own, other] of [
      [admin, acmeRun, globexRun],
      [outsider, globexRun, acmeRun],
    ] as const) {
      const t = await who.request.get(both, { headers: { "if-none-match": s.headers()["etag"]! } });
      expect(t.status()).toBe(200);
      const text = await t.text();
      expect(text).not.toContain("supersecret");
      expect(text).not.toContain(other);
      expect(await runsOf(t)).toEqual([own]);
      const body = JSON.parse(text) as { runs: { progressPercent: number; stage: string; attempts: number }[] };
      expect(body.runs[0]).toMatchObject({ progressPercent: 40, stage: "copying", attempts: 2 });
      // Unchanged: 304 with its own ETag.
      const again = await who.request.get(both, { headers: { "if-none-match": t.headers()["etag"]! } });
      expect(again.status()).toBe(304);
    }

    // Only another team's ids: an empty list, the same answer as ids that exist nowhere.
    const onlyOther = await outsider.request.get(`/api/runs?ids=${acmeRun}`);
    const nowhere = await outsider.request.get(`/api/runs?ids=00000000-0000-4000-8000-000000000000`);
    expect(await runsOf(onlyOther)).toEqual([]);
    expect(await runsOf(nowhere)).toEqual([]);

    // Team A's member cannot read team B's project or its counts: 404, the same as no project.
    for (const path of [`/api/runs?project=${ACME_SLUG}&ids=${acmeRun}`, `/api/runs?project=${ACME_SLUG}`, `/api/runs?project=no-such-project`]) {
      const r = await outsider.request.get(path);
      expect(r.status()).toBe(404);
      expect(await r.text()).not.toContain(acmeRun);
    }
    const g = await admin.request.get(`/api/runs?project=${OUTSIDER_PROJECT}`);
    expect(g.status()).toBe(404);

    // The tenant's own project works, with the counts.
    const own = await admin.request.get(`/api/runs?project=${ACME_SLUG}&ids=${acmeRun},${globexRun}`);
    expect(own.status()).toBe(200);
    const ownBody = (await own.json()) as { runs: { id: string }[]; counts: { counts: Record<string, number>; windowHours: number } };
    expect(ownBody.runs.map((r) => r.id)).toEqual([acmeRun]);
    expect(ownBody.counts.counts.running).toBe(1);
    expect(ownBody.counts.windowHours).toBe(24);
  } finally {
    await Promise.all([support.close(), admin.close(), outsider.close()]);
  }
});

test("signed out and an API key are 401; bad input is a 4xx and changes nothing", async ({ browser }) => {
  const anon = await as(browser, null);
  const admin = await as(browser, "admin");
  try {
    for (const path of [`/api/runs`, `/api/runs?ids=${acmeRun}`, `/api/runs?project=${ACME_SLUG}&ids=${acmeRun}`]) {
      const r = await anon.request.get(path);
      expect(r.status()).toBe(401);
      expect(await r.text()).not.toContain("copying");
    }
    const state = async () => JSON.stringify([...(await sql`select status, attempt_count, updated_at, error_message from job_runs where id = ${acmeRun}`)]);
    const before = await state();
    // An API key (even with jobs:read) is not a session: this route is the dashboard's own.
    const key = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local", scopes: ["jobs:read"] });
    for (const path of [`/api/runs?ids=${acmeRun}`, `/api/runs?project=${ACME_SLUG}&ids=${acmeRun}`]) {
      const r = await anon.request.get(path, { headers: bearer(key.key) });
      expect(r.status()).toBe(401);
      expect(await r.text()).not.toContain("copying");
    }
    const many = Array.from({ length: 101 }, () => acmeRun).join(",");
    const cases: [string, number, RegExp][] = [
      [`/api/runs?ids=${many}`, 400, /at most 100/],
      [`/api/runs?ids=not-a-uuid`, 400, /run id/],
      // The proxy refuses a NUL anywhere in the query before the route runs.
      [`/api/runs?ids=${encodeURIComponent(`${acmeRun}\u0000`)}`, 400, /NUL/],
      [`/api/runs?ids=${"a".repeat(8000)}`, 400, /run id/],
      [`/api/runs?project=${encodeURIComponent("acme\u0000app")}`, 400, /NUL/],
      [`/api/runs?project=${"x".repeat(5000)}`, 404, /Not found/],
      [`/api/runs?project=${encodeURIComponent("'; drop table job_runs; --")}`, 404, /Not found/],
    ];
    for (const [path, status, message] of cases) {
      const r = await admin.request.get(path);
      expect(r.status(), path.slice(0, 80)).toBe(status);
      expect(await r.text()).toMatch(message);
    }
    // A hostile If-None-Match is only a version that does not match.
    const odd = await admin.request.get(`/api/runs?ids=${acmeRun}`, { headers: { "if-none-match": `"${"x".repeat(4000)}"` } });
    expect(odd.status()).toBe(200);
    expect(await state()).toBe(before);
  } finally {
    await Promise.all([anon.close(), admin.close()]);
  }
});

test.describe("instance insights for team roles", () => {
  test.use({ allowConsoleErrors: NOT_FOUND_PAGE });
  for (const role of ["admin", "member", "outsider"] as const) {
    test(`/insights does not exist for a team ${role}, and the nav does not offer it`, async ({ browser }) => {
      const context = await browser.newContext({ storageState: storageState(role) });
      const page = await context.newPage();
      try {
        await page.goto("/runs");
        await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Insights" })).toHaveCount(0);
        expect((await page.goto("/insights"))?.status()).toBe(404);
        expect((await page.goto("/insights?range=7d"))?.status()).toBe(404);
      } finally {
        await context.close();
      }
    });
  }
});
