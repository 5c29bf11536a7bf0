import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

// Globex's project is used by no other spec's real runs: its admin (the "outsider") owns it.
test.use({ storageState: storageState("outsider") });

/**
 * A running run whose own heartbeat is 3 minutes old, held by a worker instance that still answers
 * (a day-long heartbeat interval keeps it answering for the test): the e2e worker's sweep leaves
 * the run alone, and the page says what would happen if that worker were lost, for the job type.
 */
test("a stale run's warning says what recovery will do for its job type: fail a one-shot type, retry one that retries", async ({ page }) => {
  const sql = e2eSql();
  const workerId = `e2e-busy:1:${crypto.randomUUID().slice(0, 6)}`;
  const runIds: string[] = [];
  try {
    const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
    await sql`insert into workers (id, name, host, pid, version, job_types, concurrency, heartbeat_seconds)
      values (${workerId}, 'e2e-busy', 'e2e-host', 1, '0', ${["demo_paced", "contacts_import"]}, 4, 86400)`;
    const running = async (jobType: string, attempt: number, maxAttempts: number) => {
      const [run] = await sql<{ id: string }[]>`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at, last_heartbeat, worker_id)
        values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, ${jobType}, 'running', ${maxAttempts}, ${attempt}, '{}', now() - interval '5 minutes', now() - interval '5 minutes',
          now() - interval '5 minutes', now() - interval '3 minutes', ${workerId}) returning id`;
      runIds.push(run!.id);
      return run!.id;
    };
    const oneShot = await running("demo_paced", 1, 1);
    const retrying = await running("contacts_import", 1, 3);
    const lastTry = await running("contacts_import", 3, 3);

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${oneShot}`);
    const warning = page.getByTestId("stale-warning");
    await expect(warning).toContainText("No heartbeat for 3 min");
    await expect(warning).toContainText("its worker still answers: it is busy, not lost, and the run is left to it");
    await expect(warning).toContainText("it will be marked failed; this job type does not retry.");
    await expect(warning).not.toContainText("retried");

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${retrying}`);
    await expect(warning).toContainText("this attempt will be failed and the run retried (attempt 2 of 3).");

    await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${lastTry}`);
    await expect(warning).toContainText("this attempt (3 of 3, the last) will be failed and the run dead-lettered.");

    // The worker's sweep ran all along (every second here) and left the runs to their live worker.
    const rows = await sql<{ status: string }[]>`select status from job_runs where id in ${sql(runIds)}`;
    expect(rows.map((r) => r.status)).toEqual(["running", "running", "running"]);
  } finally {
    if (runIds.length) await sql`update job_runs set status = 'failed', completed_at = now() where id in ${sql(runIds)}`;
    await sql`update workers set stopped_at = now() where id = ${workerId}`;
    await sql.end();
  }
});
