import { expect, test, type APIRequestContext, type Browser } from "./support/test";
import { ACCOUNTS, OUTSIDER_PROJECT, storageState, type Role } from "./support/accounts";
import { e2eSql } from "./support/db";

/**
 * The run poll shares its reads across watchers (lib/dal/run-poll.ts): one read per run and view
 * kind. Prove the sharing never crosses a permission: support's unredacted view, warmed in the
 * shared cache, never reaches a tenant; another team's user is "not found" while the run is
 * cached; signed out is 401; hostile If-None-Match values get an honest answer.
 */
const SECRET_URL = "postgres://u:supersecret@db/x";
const SECRET_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const LEAKS = ["supersecret", "sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"];

async function as(browser: Browser, role: Role): Promise<{ request: APIRequestContext; close: () => Promise<void> }> {
  const context = await browser.newContext({ storageState: storageState(role) });
  return { request: context.request, close: () => context.close() };
}

test("a tenant watcher never gets support's unredacted view from the shared reads, another team gets 404 while the run is cached, hostile versions change nothing", async ({ browser, playwright }) => {
  expect(ACCOUNTS.outsider.email).toContain("globex");
  const sql = e2eSql();
  const runIds: string[] = [];
  const support = await as(browser, "support");
  const tenant = await as(browser, "outsider");
  const otherTeam = await as(browser, "admin"); // Acme's admin: not a member of Globex
  try {
    const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
    const insertRun = async () => {
      const [run] = await sql<{ id: string }[]>`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at, last_heartbeat, progress_processed, progress_total, progress_message)
        values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, 'demo_paced', 'running', 1, 1, ${sql.json({ dsn: SECRET_URL })}, now(), now(), now(), now(), 1, 10, ${`connecting to ${SECRET_URL}`})
        returning id`;
      runIds.push(run!.id);
      return run!.id;
    };
    const runId = await insertRun();
    const url = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}`;
    const addRows = async (n: number) => {
      await sql`update job_runs set progress_processed = ${n}, progress_message = ${`batch ${n} via ${SECRET_URL}`}, last_heartbeat = now(), updated_at = now() where id = ${runId}`;
      await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, error_message, duration_ms) values (${runId}, ${`step_${n}`}, 'failed', 1, ${`key ${SECRET_KEY}`}, 5)`;
      // A call row written raw (not marked redacted): masked for tenants when read.
      await sql`insert into job_run_calls (run_id, attempt, method, url, request_headers, duration_ms) values (${runId}, 1, 'GET', ${`https://api.test/${n}?key=${SECRET_KEY}`}, '{}', 5)`;
    };
    await addRows(2);

    // Support first, so its unredacted view is what the shared read holds.
    const s1 = await support.request.get(url);
    expect(s1.status()).toBe(200);
    expect(await s1.text()).toContain("supersecret");
    const supportEtag = s1.headers()["etag"]!;

    // The tenant right after (inside the shared read's lifetime): redacted, and support's version
    // is not theirs, so it is not a 304 either.
    const t1 = await tenant.request.get(url, { headers: { "if-none-match": supportEtag } });
    expect(t1.status()).toBe(200);
    const t1Body = await t1.text();
    for (const leak of LEAKS) expect(t1Body).not.toContain(leak);
    expect(t1Body).toContain("postgres://***@db/x");
    const tenantEtag = t1.headers()["etag"]!;
    expect(tenantEtag).not.toBe(supportEtag);

    // The run moves: both get deltas from the shared snapshot, each of its own kind.
    await addRows(3);
    const s2 = await support.request.get(url, { headers: { "if-none-match": supportEtag } });
    const t2 = await tenant.request.get(url, { headers: { "if-none-match": tenantEtag } });
    const [s2Body, t2Body] = [await s2.text(), await t2.text()];
    expect(JSON.parse(s2Body)).toMatchObject({ kind: "delta" });
    expect(JSON.parse(t2Body)).toMatchObject({ kind: "delta" });
    expect(s2Body).toContain("supersecret");
    expect(t2Body).toContain("step_3");
    for (const leak of LEAKS) expect(t2Body).not.toContain(leak);
    // Many tenant and support watchers at once, interleaved: never a crossed view.
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? support : tenant).request.get(url, { headers: { "if-none-match": i % 2 ? supportEtag : tenantEtag } }).then(async (r) => ({ i, status: r.status(), body: await r.text() }))),
    );
    // (A 503 is the database watch giving up on an overloaded test box: no body to leak.)
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of burst) {
      expect([200, 503]).toContain(r.status);
      if (r.status !== 200) continue;
      if (r.i % 2) expect(r.body).toContain("supersecret");
      else for (const leak of LEAKS) expect(r.body).not.toContain(leak);
    }

    // Another team's admin, while the run is in the shared reads: not found, with or without a
    // version (theirs, support's or the tenant's).
    for (const etag of [undefined, supportEtag, tenantEtag]) {
      const r = await otherTeam.request.get(url, { headers: etag ? { "if-none-match": etag } : {} });
      expect(r.status()).toBe(404);
      for (const leak of [...LEAKS, "step_"]) expect(await r.text()).not.toContain(leak);
    }
    // Signed out: 401, nothing else.
    const anonymous = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
    const a = await anonymous.get(url, { headers: { "if-none-match": tenantEtag } });
    expect(a.status()).toBe(401);
    expect(await a.text()).not.toContain("step_");
    await anonymous.dispose();

    // Hostile versions: garbage, huge, a forged "since nothing", another run's version. Each is
    // an honest answer of the caller's own view (never a 304 for what they do not hold, never 500).
    const otherRun = await insertRun();
    const otherEtag = (await tenant.request.get(`/api/projects/${OUTSIDER_PROJECT}/runs/${otherRun}`)).headers()["etag"]!;
    const forgedSince = tenantEtag.replace(/(\d+)\.(\d+)"$/, '0.0"');
    for (const etag of ['"garbage"', "W/\"r1.x.y\"", `"${"9".repeat(4000)}"`, "*", otherEtag, forgedSince, tenantEtag.replace(".r.", ".s.").replace(".w.", ".s.")]) {
      const r = await tenant.request.get(url, { headers: { "if-none-match": etag } });
      expect([200, 304], etag.slice(0, 40)).toContain(r.status());
      if (r.status() === 200) {
        const body = await r.text();
        for (const leak of LEAKS) expect(body).not.toContain(leak);
        const parsed = JSON.parse(body) as { kind?: string; id?: string };
        if (parsed.kind !== "delta") expect(parsed.id).toBe(runId);
      } else expect(r.headers()["etag"]).not.toBe(otherEtag);
    }
  } finally {
    await support.close();
    await tenant.close();
    await otherTeam.close();
    for (const id of runIds) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${id} and status = 'running'`;
    await sql.end();
  }
});
