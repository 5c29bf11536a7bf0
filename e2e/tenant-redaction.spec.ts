import { expect, test } from "./support/test";
import { ACCOUNTS, OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { backfillRedactedRuns, e2eSql } from "./support/db";

const SECRET_URL = "postgres://u:supersecret@db/x";
const SECRET_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
/** Any trace of either secret, in any encoding a page or payload might carry. */
const LEAKS = ["supersecret", "sk_live_", "4eC39HqLyjWDarjtT1zdp7dc", encodeURIComponent(SECRET_URL)];

function expectNoLeak(where: string, body: string): void {
  for (const leak of LEAKS) expect(body.includes(leak), `${where} contains ${leak}`).toBe(false);
}

test("a secret planted in a run's error, stack, payload, steps and calls never reaches the tenant's browser; support sees it", async ({ browser }) => {
  const sql = e2eSql();
  try {
    const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
    const message = `could not connect to ${SECRET_URL} (api key ${SECRET_KEY})`;
    const error = { message, type: "database_error", source: "database", subType: "connection_failed", severity: 5, retryable: true, stack: `Error: ${message}\n    at connect (${SECRET_URL})\n    at run (handler.ts:1:1)` };
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, result, error, error_message, progress_message, queued_at, started_at, completed_at)
      values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, 'runs_export', 'failed', 1, 1,
        ${sql.json({ days: 1, dsn: SECRET_URL, token: SECRET_KEY, nested: { note: `use ${SECRET_KEY}` } })}, ${sql.json({ lastDsn: SECRET_URL })},
        ${sql.json(error)}, ${message}, ${`connecting to ${SECRET_URL}`}, now() - interval '1 minute', now() - interval '1 minute', now())
      returning id`;
    const runId = run!.id;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, error_message, error_type, error_sub_type, error_severity, duration_ms) values
      (${runId}, 'attempt', 'failed', 1, ${message}, 'database_error', 'connection_failed', 5, 10)`;
    // A call row written raw (the worker stores them redacted; the page must not rely on that alone).
    await sql`insert into job_run_calls (run_id, attempt, method, url, request_headers, request_body, response_body, duration_ms, error) values
      (${runId}, 1, 'POST', ${`https://api.test/x?key=${SECRET_KEY}`}, ${sql.json({ "x-note": SECRET_URL })}, ${`{"dsn":"${SECRET_URL}"}`}, ${SECRET_KEY}, 5, ${`failed: ${SECRET_URL}`})`;
    const runPath = `/projects/${OUTSIDER_PROJECT}/runs/${runId}`;
    const apiPath = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}`;

    // Support: everything, unredacted.
    const support = await browser.newContext({ storageState: storageState("support") });
    const supportPage = await support.newPage();
    await supportPage.goto(runPath);
    const supportError = supportPage.getByRole("alert").filter({ hasText: "Error" });
    await expect(supportError.getByTestId("run-error")).toContainText(SECRET_URL);
    await expect(supportError.locator("pre")).toContainText(`at connect (${SECRET_URL})`);
    await expect(supportPage.getByText(`"token": "${SECRET_KEY}"`)).toBeVisible();
    expect(await (await supportPage.request.get(apiPath)).text()).toContain("supersecret");
    await support.close();

    // The tenant (Globex's own admin): every response the browser receives is recorded.
    const tenant = await browser.newContext({ storageState: storageState("outsider") });
    const bodies: { url: string; body: Promise<string> }[] = [];
    tenant.on("response", (r) => bodies.push({ url: r.url(), body: r.text().catch(() => "") }));
    const page = await tenant.newPage();
    await page.goto(runPath);
    const tenantError = page.getByRole("alert").filter({ hasText: "Error" });
    await expect(tenantError.getByTestId("run-error")).toContainText("postgres://***@db/x");
    await expect(tenantError.getByTestId("error-reference")).toHaveText(`ERR-${runId.slice(0, 8).toUpperCase()}`);
    await expect(tenantError.locator("pre")).toHaveCount(0);
    await expect(tenantError).toContainText("connection_failed");

    // Direct fetches: the HTML, the RSC payload a client navigation gets, and the poll JSON.
    expectNoLeak("HTML", await (await page.request.get(runPath)).text());
    const rsc = await page.request.get(runPath, { headers: { RSC: "1" } });
    const rscBody = await rsc.text();
    expect(rscBody).toContain("ERR-"); // it really is the page's payload
    expectNoLeak("RSC payload", rscBody);
    const poll = await page.request.get(apiPath);
    expect(poll.status()).toBe(200);
    expectNoLeak("poll JSON", await poll.text());

    // The row above was written raw, as before migration 0010; once the worker's backfill has
    // stored its redacted copies, tenants read those, and search matches only them.
    await backfillRedactedRuns(sql);
    expectNoLeak("poll JSON (stored copies)", await (await page.request.get(apiPath)).text());
    const key = await insertApiKey(sql, { team: "globex", createdBy: ACCOUNTS.outsider.email, scopes: ["jobs:read"] });
    const found = async (q: string) => {
      const api = await page.request.get(`/api/v1/projects/${OUTSIDER_PROJECT}/runs?q=${encodeURIComponent(q)}`, { headers: bearer(key.key) });
      expect(api.status()).toBe(200);
      const apiFound = ((await api.json()) as { runs: { id: string }[] }).runs.some((r) => r.id === runId);
      const html = await (await page.request.get(`/projects/${OUTSIDER_PROJECT}/runs?q=${encodeURIComponent(q)}`)).text();
      expect(html.includes(`data-run-id="${runId}"`), `page and API agree on ${q}`).toBe(apiFound);
      return apiFound;
    };
    expect(await found("could not connect to postgres://")).toBe(true);
    // Probing the masked password one character more each time (the attack of issue 11) finds nothing.
    for (const q of ["u:s", "u:su", "u:sup", "u:supe", "supersecret", "sk_live_4", "4eC39HqLyjWD", "secret@db"]) expect(await found(q), q).toBe(false);

    // An action result: re-drive (the tenant's admin holds jobs:write), and the refresh after it.
    // Read through a route: the page refreshes right after, and a navigated-away body is gone.
    let actionBody: string | null = null;
    await page.route(`**${runPath}`, async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      const response = await route.fetch();
      actionBody = await response.text();
      await route.fulfill({ response, body: actionBody });
    });
    await page.getByRole("button", { name: "Re-drive" }).click();
    await expect.poll(() => actionBody).not.toBeNull();
    expect(actionBody).toContain("redriven");
    expectNoLeak("action result", actionBody ?? "");
    await expect(page.getByText("Attempts").first()).toBeVisible();
    await expect(page.locator("[data-status=pending], [data-status=running], [data-status=completed], [data-status=failed]")).toBeVisible();
    await page.waitForTimeout(1500);

    // A response the browser abandoned (e.g. a cancelled link prefetch) never yields a body, so
    // it cannot have delivered anything: give each body a few seconds, then check what arrived.
    const settled = (body: Promise<string>) => Promise.race([body, new Promise<string>((resolve) => setTimeout(() => resolve(""), 5000))]);
    for (const { url, body } of bodies) expectNoLeak(url, await settled(body));
    expect(bodies.length).toBeGreaterThan(3);
    await tenant.close();
  } finally {
    await sql.end();
  }
});
