import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";
import type postgres from "postgres";

// Globex's project is used by no other spec's real runs: its admin (the "outsider") owns it.
test.use({ storageState: storageState("outsider") });

const pollUrl = (runId: string) => new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}$`);
const streamUrl = (runId: string) => new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events(\\?|$)`);

/** A running run written as a worker would (no worker id: no worker of this test touches it). */
async function insertRunningRun(sql: postgres.Sql): Promise<string> {
  const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
  const [run] = await sql<{ id: string }[]>`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at, last_heartbeat, progress_processed, progress_total, current_stage)
    values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, 'demo_paced', 'running', 1, 1, ${sql.json({ items: 10, msPerItem: 250 })},
      now() - interval '10 seconds', now() - interval '10 seconds', now() - interval '10 seconds', now(), 0, 10, 'warming up')
    returning id`;
  return run!.id;
}

test("an active run's page follows it over one event stream, without polling: progress, steps and calls arrive, the end arrives whole", async ({ page }) => {
  const sql = e2eSql();
  let runId = "";
  try {
    runId = await insertRunningRun(sql);
    const requests = { poll: 0, stream: 0 };
    page.on("request", (r) => {
      if (pollUrl(runId).test(r.url())) requests.poll++;
      if (streamUrl(runId).test(r.url())) requests.stream++;
    });

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
    await expect(page.locator("[data-transport=stream]")).toBeVisible();
    await expect(page.getByTestId("progress-counts")).toContainText("0 / 10");

    await sql`update job_runs set progress_processed = 4, current_stage = 'importing', last_heartbeat = now(), updated_at = now() where id = ${runId}`;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms) values (${runId}, 'import_batch_1', 'completed', 1, 120)`;
    await sql`insert into job_run_calls (run_id, attempt, method, url, request_headers, response_status, duration_ms, redacted) values (${runId}, 1, 'GET', 'https://crm.example.test/v1/batch/1', '{}', 200, 30, true)`;
    const steps = page.getByRole("region", { name: "Steps" });
    await expect(page.getByTestId("progress-counts")).toContainText("4 / 10");
    await expect(page.getByTestId("stage")).toHaveText("Stage: importing");
    await expect(steps.getByText("import_batch_1")).toBeVisible();
    await expect(page.getByRole("region", { name: "Outbound calls" }).getByTestId("call")).toHaveCount(1);

    await sql`update job_runs set progress_processed = 7, last_heartbeat = now(), updated_at = now() where id = ${runId}`;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms) values (${runId}, 'import_batch_2', 'completed', 1, 130)`;
    await expect(page.getByTestId("progress-counts")).toContainText("7 / 10");
    expect(await steps.innerText()).toMatch(/import_batch_1[\s\S]*import_batch_2/);

    await sql`update job_runs set status = 'completed', progress_processed = 10, completed_at = now(), result = ${sql.json({ imported: 10 })}, updated_at = now() where id = ${runId}`;
    await expect(page.locator("[data-status=completed]")).toBeVisible();
    await expect(page.locator("[data-polling=stopped]")).toBeVisible();
    await expect(page.getByText('"imported": 10')).toBeVisible();
    // All of it came over the one stream the page opened: no poll, no reconnect.
    expect(requests).toEqual({ poll: 0, stream: 1 });
  } finally {
    if (runId) await sql`update job_runs set status = 'failed', completed_at = coalesce(completed_at, now()) where id = ${runId} and status = 'running'`;
    await sql.end();
  }
});

test.describe("when the server refuses the stream", () => {
  // Chromium logs the refused stream's answer as a failed resource load.
  test.use({ allowConsoleErrors: /status of 503|EventSource/ });

  test("the page polls instead and still follows the run", async ({ page }) => {
    const sql = e2eSql();
    let runId = "";
    try {
      runId = await insertRunningRun(sql);
      await page.route(streamUrl(runId), (route) => route.fulfill({ status: 503, contentType: "application/json", headers: { "Retry-After": "30" }, body: "{}" }));
      let polls = 0;
      page.on("request", (r) => {
        if (pollUrl(runId).test(r.url())) polls++;
      });
      await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
      await expect(page.locator("[data-transport=poll]")).toBeVisible();
      await sql`update job_runs set progress_processed = 5, last_heartbeat = now(), updated_at = now() where id = ${runId}`;
      await expect(page.getByTestId("progress-counts")).toContainText("5 / 10");
      expect(polls).toBeGreaterThan(0);
    } finally {
      if (runId) await sql`update job_runs set status = 'failed', completed_at = coalesce(completed_at, now()) where id = ${runId} and status = 'running'`;
      await sql.end();
    }
  });
});
