import { expect, test, type Page } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

// Globex's project is used by no other spec's real runs: its admin (the "outsider") owns it.
test.use({ storageState: storageState("outsider") });

const streamUrl = (runId: string) => new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events(\\?|$)`);
const pollUrl = (runId: string) => new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}$`);

async function globex(sql: ReturnType<typeof e2eSql>) {
  const [row] = await sql<{ id: string; team_id: string; user_id: string }[]>`
    select p.id, p.team_id, u.id as user_id from projects p, users u where p.slug = ${OUTSIDER_PROJECT} and u.email = 'outsider@globex.test'`;
  return row!;
}

test("the run page shows attempts, step timeline, call log, payload, audit trail and a resource link to all runs of that resource", async ({ page }) => {
  const sql = e2eSql();
  try {
    const g = await globex(sql);
    const resourceId = crypto.randomUUID();
    const error = { message: "Upstream returned 503", type: "api_error", source: "external_service", subType: "upstream_unavailable", severity: 3, retryable: true };
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, result, error, error_message, resource_type, resource_id, triggered_by, queued_at, started_at, completed_at)
      values (gen_random_uuid(), ${g.team_id}, ${g.id}, 'runs_export', 'failed', 2, 2, ${sql.json({ days: 7 })}, ${sql.json({ rows: 12 })}, ${sql.json(error)}, ${error.message}, 'file', ${resourceId}, ${g.user_id},
        now() - interval '5 minutes', now() - interval '5 minutes', now() - interval '3 minutes') returning id`;
    const runId = run!.id;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms, error_message, error_type, error_sub_type, error_severity, created_at) values
      (${runId}, 'fetch_rows', 'completed', 1, 1500, null, null, null, null, now() - interval '299 seconds'),
      (${runId}, 'attempt', 'retrying', 1, 2000, 'Upstream returned 503', 'api_error', 'upstream_unavailable', 3, now() - interval '298 seconds'),
      (${runId}, 'attempt', 'failed', 2, 60000, 'Upstream returned 503', 'api_error', 'upstream_unavailable', 3, now() - interval '3 minutes')`;
    await sql`insert into job_run_calls (run_id, attempt, retry, method, url, request_headers, request_body, response_status, response_body, duration_ms) values
      (${runId}, 1, 0, 'POST', 'https://crm.example.test/v1/export', ${sql.json({ "content-type": "application/json" })}, '{"days":7}', 503, 'busy', 120),
      (${runId}, 1, 1, 'POST', 'https://crm.example.test/v1/export', ${sql.json({ "content-type": "application/json" })}, '{"days":7}', 503, 'still busy', 95)`;
    await sql`insert into audit_events (team_id, run_id, actor_user_id, action, details, created_at) values
      (${g.team_id}, ${runId}, ${g.user_id}, 'run.triggered', '{}', now() - interval '5 minutes'),
      (${g.team_id}, ${runId}, ${g.user_id}, 'run.retried', '{}', now() - interval '4 minutes')`;
    // Two more runs on the same resource, and one of another project (not listed).
    for (let i = 0; i < 2; i++) {
      await sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, resource_type, resource_id, queued_at)
        values (gen_random_uuid(), ${g.team_id}, ${g.id}, 'runs_export', 'completed', 1, '{}', 'file', ${resourceId}, now() - make_interval(hours => ${i + 1}))`;
    }
    await sql`insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, resource_type, resource_id, queued_at)
      select gen_random_uuid(), team_id, id, 'runs_export', 'completed', 1, '{}', 'file', ${resourceId}, now() - interval '1 day' from projects where slug = 'acme-app'`;

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
    const attempts = page.getByRole("region", { name: "Attempts" });
    await expect(attempts.getByTestId("attempt")).toHaveCount(2);
    await expect(attempts.getByTestId("attempt").first()).toContainText("retrying");
    await expect(attempts.getByTestId("attempt").nth(1)).toContainText("1 min 0 s");
    await expect(attempts.getByTestId("attempt").nth(1)).toContainText("api_error/upstream_unavailable");
    await expect(page.getByRole("region", { name: "Steps" }).getByText("fetch_rows")).toBeVisible();
    await expect(page.getByRole("region", { name: "Steps" }).getByText("1.5 s")).toBeVisible();

    const calls = page.getByRole("region", { name: "Outbound calls" }).getByTestId("call");
    await expect(calls).toHaveCount(2);
    await expect(calls.nth(1)).toContainText("attempt 1, retry 1");
    await calls.first().getByText("https://crm.example.test/v1/export").click();
    await expect(calls.first().getByText("Response body")).toBeVisible();
    await expect(calls.first().getByText("busy", { exact: true })).toBeVisible();

    const errorBox = page.getByRole("alert").filter({ hasText: "Error" });
    await expect(errorBox).toContainText("upstream_unavailable");
    await expect(errorBox).toContainText("external_service");
    await expect(errorBox.getByTestId("error-reference")).toHaveText(`ERR-${runId.slice(0, 8).toUpperCase()}`);
    await expect(page.getByText('"days": 7')).toBeVisible();
    await expect(page.getByText('"rows": 12')).toBeVisible();

    const audit = page.getByRole("region", { name: "Audit trail" }).getByTestId("audit-event");
    await expect(audit).toHaveCount(2);
    await expect(audit.first()).toContainText("Triggered by Olga Outsider");
    await expect(audit.nth(1)).toContainText("Re-driven by Olga Outsider");

    await page.getByRole("link", { name: /all runs/ }).click();
    await expect(page).toHaveURL(`/projects/${OUTSIDER_PROJECT}/resources/file/${resourceId}`);
    await expect(page.getByRole("heading", { name: /Runs for file/ })).toBeVisible();
    await expect(page.getByTestId("run-row")).toHaveCount(3);
    await page.getByRole("link", { name: runId.slice(0, 8) }).click();
    await expect(page).toHaveURL(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
  } finally {
    await sql.end();
  }
});

test("heartbeat age counts on while the run is quiet, a stale heartbeat warns, and a silent stream is reopened after 30 s", async ({ page }) => {
  const sql = e2eSql();
  let runId = "";
  try {
    const g = await globex(sql);
    // 90 s without a heartbeat: not stale yet for the worker's sweep (120 s), so the row stays put.
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, last_heartbeat)
      values (gen_random_uuid(), ${g.team_id}, ${g.id}, 'demo_paced', 'running', 1, 1, '{}', now() - interval '2 minutes', now() - interval '2 minutes', now() - interval '90 seconds') returning id`;
    runId = run!.id;
    let streams = 0;
    page.on("request", (r) => {
      if (streamUrl(runId).test(r.url())) streams++;
    });
    // The page's clock is ours to move: the age it shows is the server's plus the time since.
    await page.clock.install();
    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
    await expect(page.getByTestId("heartbeat")).toHaveText(/^1 min \d+ s ago$/);
    await expect(page.getByTestId("stale-warning")).toHaveCount(0);
    // The run does not change, so its stream stays quiet: the page counts on by itself.
    await expect(page.locator("[data-stream=open]")).toBeVisible();
    await page.clock.runFor(35_000);
    await expect(page.getByTestId("stale-warning")).toContainText("the limit is 120 s");
    // Its worker never registered (worker_id is empty): it may be gone; demo_paced is one-shot.
    await expect(page.getByTestId("stale-warning")).toContainText("may be gone. When a worker's sweep finds it lost, it will be marked failed; this job type does not retry.");
    await expect(page.getByTestId("heartbeat")).toHaveText(/^2 min \d+ s ago$/);
    // 35 s without a change: the quiet stream was opened again once, after 30 s of silence, and
    // answered nothing new (the page kept its count).
    expect(streams).toBe(2);
  } finally {
    if (runId) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${runId}`;
    await sql.end();
  }
});

async function setVisibility(page: Page, state: "hidden" | "visible"): Promise<void> {
  await page.evaluate((s) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => s });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => s === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
}

test("the run's stream closes while the tab is hidden, reopens when shown, and ends with the run", async ({ page }, testInfo) => {
  await page.goto(`/projects/${OUTSIDER_PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await card.getByLabel("Items").fill("40");
  await card.getByLabel("Milliseconds per item").fill("250");
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\//);
  const runId = new URL(page.url()).pathname.split("/").at(-1)!;
  let streams = 0;
  let polls = 0;
  page.on("request", (r) => {
    if (streamUrl(runId).test(r.url())) streams++;
    if (pollUrl(runId).test(r.url())) polls++;
  });
  await expect(page.locator("[data-polling=active]")).toBeVisible();
  await expect(page.locator("[data-stream=open]")).toBeVisible();
  // 40 × 250 ms: the attempt under way is shown (from the run row) until its step row is written.
  await expect(page.getByRole("region", { name: "Attempts" }).getByTestId("attempt")).toContainText(/Attempt 1\s*running/);
  await page.screenshot({ path: testInfo.outputPath("run-running.png"), fullPage: true }); // for a person to look at

  await setVisibility(page, "hidden");
  await expect(page.locator("[data-stream=closed]")).toBeVisible();
  const hiddenAt = streams;
  await page.waitForTimeout(2500);
  expect(streams).toBe(hiddenAt);
  await setVisibility(page, "visible");
  await expect(page.locator("[data-stream=open]")).toBeVisible();
  expect(streams).toBe(hiddenAt + 1);

  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  await expect(page.locator("[data-polling=stopped]")).toBeVisible();
  await expect(page.getByTestId("progress-counts")).toContainText("40 / 40");
  await expect(page.locator("[data-stream=closed]")).toBeVisible();
  const endedAt = streams;
  await page.waitForTimeout(3000);
  expect(streams).toBe(endedAt);
  // Followed over the stream throughout: the page never polled.
  expect(polls).toBe(0);
  // The real trigger is in the audit trail.
  await expect(page.getByRole("region", { name: "Audit trail" }).getByTestId("audit-event")).toContainText("Triggered by Olga Outsider");
  await expect(page.getByRole("region", { name: "Attempts" }).getByTestId("attempt")).toContainText("completed");
});
