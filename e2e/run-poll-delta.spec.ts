import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

// Globex's project is used by no other spec's real runs: its admin (the "outsider") owns it.
test.use({ storageState: storageState("outsider") });
// The app serves no favicon yet; the browser's request for it is not this spec's concern. The
// stream is refused on purpose (the page polls instead), which Chromium logs as a failed load.
test.use({ allowConsoleErrors: /favicon\.ico|status of 503|EventSource/ });

const pollUrl = (runId: string) => new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}$`);

test("with the event stream refused, an active run's polls send only what changed and the page merges them: steps appear, progress moves, the final state arrives whole", async ({ page }) => {
  const sql = e2eSql();
  let runId = "";
  try {
    const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
    // A running run written as a worker would (no worker id: no worker of this test touches it).
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at, last_heartbeat, progress_processed, progress_total, current_stage)
      values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, 'demo_paced', 'running', 1, 1, ${sql.json({ items: 10, msPerItem: 250, marker: "payload-only-in-full-views" })},
        now() - interval '10 seconds', now() - interval '10 seconds', now() - interval '10 seconds', now(), 0, 10, 'warming up')
      returning id`;
    runId = run!.id;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms, created_at) values (${runId}, 'prepare', 'completed', 1, 40, now() - interval '9 seconds')`;
    const answers: { status: number; kind: string; body: string }[] = [];
    await page.route(new RegExp(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events(\\?|$)`), (route) => route.fulfill({ status: 503, contentType: "application/json", body: "{}" }));
    page.on("response", async (r) => {
      if (!pollUrl(runId).test(r.url())) return;
      const body = r.status() === 200 ? await r.text().catch(() => "") : "";
      answers.push({ status: r.status(), kind: body ? ((JSON.parse(body) as { kind?: string }).kind ?? "full") : "", body });
    });

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`);
    const steps = page.getByRole("region", { name: "Steps" });
    await expect(steps.getByText("prepare")).toBeVisible();
    await expect(page.getByTestId("progress-counts")).toContainText("0 / 10");
    // The first poll has no version yet (a full view); the next ones are 304 or deltas.
    await expect.poll(() => answers.length).toBeGreaterThan(1);

    // The worker moves on: progress, stage, a step, an outbound call.
    await sql`update job_runs set progress_processed = 4, current_stage = 'importing', last_heartbeat = now(), updated_at = now() where id = ${runId}`;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms) values (${runId}, 'import_batch_1', 'completed', 1, 120)`;
    await sql`insert into job_run_calls (run_id, attempt, method, url, request_headers, response_status, duration_ms, redacted) values (${runId}, 1, 'GET', 'https://crm.example.test/v1/batch/1', '{}', 200, 30, true)`;
    await expect(page.getByTestId("progress-counts")).toContainText("4 / 10");
    await expect(page.getByTestId("stage")).toHaveText("Stage: importing");
    await expect(steps.getByText("import_batch_1")).toBeVisible();
    await expect(steps.getByText("prepare")).toBeVisible();
    await expect(page.getByRole("region", { name: "Outbound calls" }).getByTestId("call")).toHaveCount(1);

    // And again: the new step is added after the others, not instead of them.
    await sql`update job_runs set progress_processed = 7, last_heartbeat = now(), updated_at = now() where id = ${runId}`;
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms) values (${runId}, 'import_batch_2', 'completed', 1, 130)`;
    await expect(page.getByTestId("progress-counts")).toContainText("7 / 10");
    await expect(steps.getByText("import_batch_2")).toBeVisible();
    expect(await steps.innerText()).toMatch(/prepare[\s\S]*import_batch_1[\s\S]*import_batch_2/);

    // The moving run came as deltas: small answers without the payload, each step at most once.
    const deltas = answers.filter((a) => a.kind === "delta");
    expect(deltas.length).toBeGreaterThan(0);
    for (const d of deltas) expect(d.body).not.toContain("payload-only-in-full-views");
    expect(deltas.filter((d) => d.body.includes("import_batch_1")).length).toBe(1);

    // It ends: the final state arrives as the full view (result, attempt ended) and polling stops.
    await sql`insert into job_run_steps (run_id, step_type, status, attempt_number, duration_ms) values (${runId}, 'attempt', 'completed', 1, 10000)`;
    await sql`update job_runs set status = 'completed', progress_processed = 10, completed_at = now(), result = ${sql.json({ imported: 10 })}, updated_at = now() where id = ${runId}`;
    await expect(page.locator("[data-status=completed]")).toBeVisible();
    await expect(page.locator("[data-polling=stopped]")).toBeVisible();
    await expect(page.getByTestId("progress-counts")).toContainText("10 / 10");
    await expect(page.getByText('"imported": 10')).toBeVisible();
    await expect(page.getByRole("region", { name: "Attempts" }).getByTestId("attempt")).toContainText("completed");
    expect(answers.filter((a) => a.status === 200).at(-1)!.kind).toBe("full");
  } finally {
    if (runId) await sql`update job_runs set status = 'failed', completed_at = coalesce(completed_at, now()) where id = ${runId} and status = 'running'`;
    await sql.end();
  }
});
