import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";
import { cookieHeader, openEventStream } from "./support/event-stream";

const TOKEN = process.env.METRICS_TOKEN ?? "";

function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test("health endpoints answer a load balancer without a session: live, and ready on a migrated database", async ({ request }) => {
  const live = await request.get("/api/health/live");
  expect(live.status()).toBe(200);
  expect(await live.json()).toEqual({ status: "live" });
  const ready = await request.get("/api/health/ready");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready", database: "up", migrations: "current" });
  expect(ready.headers()["cache-control"]).toBe("no-store");
});

test.describe("metrics", () => {
  test.use({ storageState: storageState("outsider") });

  test("a run-page poll shows in the web's poll latency, beside the queue gauges and the live worker", async ({ page }) => {
    expect(TOKEN, "npm test sets METRICS_TOKEN for the e2e web").not.toBe("");
    const sql = e2eSql();
    try {
      const [run] = await sql<{ id: string }[]>`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, completed_at)
        select gen_random_uuid(), team_id, id, 'demo_paced', 'completed', 1, 1, '{}', now(), now(), now() from projects where slug = ${OUTSIDER_PROJECT} returning id`;
      const scrape = async () => {
        const response = await page.request.get("/api/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.status()).toBe(200);
        return response.text();
      };
      const before = sample(await scrape(), 'runboard_web_run_poll_duration_seconds_count{status="200"}');
      // The run page's own poll request, with the signed-in session.
      const poll = await page.request.get(`/api/projects/${OUTSIDER_PROJECT}/runs/${run!.id}`);
      expect(poll.status()).toBe(200);
      const after = await scrape();
      expect(sample(after, 'runboard_web_run_poll_duration_seconds_count{status="200"}')).toBe(before + 1);
      expect(after).toContain('runboard_queue_pending_runs{job_type="demo_paced"}');
      expect(after).toContain('runboard_queue_oldest_pending_age_seconds{job_type="contacts_import"}');
      // npm test runs one worker beside the web.
      expect(sample(after, "runboard_workers_live")).toBeGreaterThanOrEqual(1);
      expect(after).not.toContain(run!.id);
    } finally {
      await sql.end();
    }
  });

  test("open run streams show in the web's stream gauge", async ({ page }) => {
    const sql = e2eSql();
    let runId = "";
    const scrape = async () => (await page.request.get("/api/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    try {
      const [run] = await sql<{ id: string }[]>`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, last_heartbeat)
        select gen_random_uuid(), team_id, id, 'demo_paced', 'running', 1, 1, '{}', now(), now(), now() from projects where slug = ${OUTSIDER_PROJECT} returning id`;
      runId = run!.id;
      // Other specs open and close streams at the same time: ours count while open, whatever theirs do.
      const url = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events`;
      const cookie = await cookieHeader(page.context());
      const streams = await Promise.all([1, 2, 3].map(() => openEventStream(url, { cookie })));
      for (const stream of streams) await stream.next((e) => e.event === "run");
      expect(sample(await scrape(), "runboard_web_run_streams")).toBeGreaterThanOrEqual(3);
      for (const stream of streams) stream.close();
    } finally {
      if (runId) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${runId}`;
      await sql.end();
    }
  });
});
