/**
 * The worker's health server through real HTTP: /livez, /readyz and /metrics of a real worker on a
 * real database, the counters and histograms after real runs, not ready while it stops, and gone
 * once it stopped. Also through the real entry point (WORKER_HEALTH_PORT).
 */
import { once } from "node:events";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JobError } from "@/lib/jobs/errors";
import { freePort } from "@/scripts/lib/embedded-pg";
import demoPaced from "@/jobs/demo-paced.handler";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, killHard, openTestEnv, runWorker, spawnWorkerProcess, trigger, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }));

async function demo(items: number, msPerItem: number): Promise<string> {
  // demo_paced allows one active run per project: each run gets a tenant of its own.
  const result = await trigger(t.db, boss, await createTenant(t.db), "demo_paced", { items, msPerItem });
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

/** A sample's value from the Prometheus text, e.g. sample(text, 'runboard_worker_runs_ended_total{job_type="demo_paced",status="failed"}'). */
function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

describe("worker health server", () => {
  let worker: RunningWorker | null = null;
  afterAll(() => worker?.stop());

  test("answers live and ready, and /metrics counts the attempts it ran by job type and status", async () => {
    worker = await runWorker(t.url, {
      health: { healthPort: 0, healthHost: "127.0.0.1" },
      handlers: {
        demo_paced: async (ctx) => {
          if (ctx.payload.items === 13) throw new JobError("Upstream refused the call", { type: "api_error", source: "external_service", subType: "upstream_503", severity: 3, retryable: false });
          return demoPaced(ctx);
        },
      },
    });
    const base = `http://127.0.0.1:${worker.healthPort}`;
    expect(worker.healthPort).toBeGreaterThan(0);

    const before = await get(`${base}/metrics`);
    expect(before.status).toBe(200);
    expect(sample(before.body, 'runboard_worker_runs_started_total{job_type="demo_paced"}')).toBeNull();

    const ok = [await demo(2, 10), await demo(3, 10)];
    const bad = await demo(13, 10);
    for (const id of ok) await waitForRun(t.db, id, (r) => r.status === "completed");
    await waitForRun(t.db, bad, (r) => r.status === "failed");
    // The end is written in the background; the counters move when the handler returns.
    const after = await get(`${base}/metrics`);
    expect(after.status).toBe(200);
    expect(sample(after.body, 'runboard_worker_runs_started_total{job_type="demo_paced"}')).toBe(3);
    expect(sample(after.body, 'runboard_worker_runs_ended_total{job_type="demo_paced",status="completed"}')).toBe(2);
    expect(sample(after.body, 'runboard_worker_runs_ended_total{job_type="demo_paced",status="failed"}')).toBe(1);
    expect(sample(after.body, 'runboard_worker_run_duration_seconds_count{job_type="demo_paced",status="completed"}')).toBe(2);
    // Two completed runs of 2 and 3 items at 10 ms each took at least 50 ms together.
    expect(sample(after.body, 'runboard_worker_run_duration_seconds_sum{job_type="demo_paced",status="completed"}')).toBeGreaterThanOrEqual(0.05);
    expect(sample(after.body, "runboard_worker_claim_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sample(after.body, "runboard_worker_active_runs")).toBe(0);
    expect(after.body).toContain("runboard_worker_process_resident_memory_bytes");
    // Nothing of the runs but their job type and counts: no ids, no error text.
    expect(after.body).not.toContain(bad);
    expect(after.body).not.toContain("Upstream refused");

    const live = await get(`${base}/livez`);
    const ready = await get(`${base}/readyz`);
    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
    const body = JSON.parse(ready.body) as { status: string; phase: string; registryPing: string; claimLoops: { total: number; stale: number }; lastClaimSecondsAgo: number | null };
    expect(body).toMatchObject({ status: "ready", phase: "running", registryPing: "ok", claimLoops: { stale: 0 } });
    expect(body.claimLoops.total).toBeGreaterThan(0);
    expect(body.lastClaimSecondsAgo).not.toBeNull();
    expect(ready.body).not.toContain(worker.workerId);
    expect((await get(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });

  test("while it stops it is live but not ready (it drains); once stopped nothing listens", async () => {
    const running = worker!;
    const base = `http://127.0.0.1:${running.healthPort}`;
    const long = await demo(200, 25);
    await waitForRun(t.db, long, (r) => r.status === "running");
    const stopped = running.stop();
    worker = null;
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "not_ready", phase: "stopping" });
    expect((await get(`${base}/livez`)).status).toBe(200);
    await stopped;
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
  });
});

describe("a stuck fetch loop", () => {
  test("a loop that cannot fetch (its queue table locked) turns /livez to 503 stuck; it is live again once the loop turns", async () => {
    // Idle loops sleep 1 s here (15 s by default), so a loop that has not turned for 2 s is stuck.
    const worker = await runWorker(t.url, { idlePollSeconds: 1, health: { healthPort: 0, healthHost: "127.0.0.1", stuckAfterSeconds: 2 } });
    const base = `http://127.0.0.1:${worker.healthPort}`;
    const locker = (await import("postgres")).default(t.url, { max: 1, onnotice: () => undefined });
    try {
      expect((await get(`${base}/livez`)).status).toBe(200);
      let release: () => void = () => undefined;
      const held = locker.begin(async (tx) => {
        // pg-boss's fetch reads this table: every fetch loop now waits on the lock.
        await tx`lock table pgboss.job in access exclusive mode`;
        await new Promise<void>((resolve) => (release = resolve));
      });
      try {
        let live = await get(`${base}/livez`);
        const until = Date.now() + 15_000;
        while (live.status === 200 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 250));
          live = await get(`${base}/livez`);
        }
        expect(live.status).toBe(503);
        expect(JSON.parse(live.body)).toMatchObject({ status: "stuck" });
        expect((await get(`${base}/readyz`)).status).toBe(503);
      } finally {
        release();
        await held;
      }
      let live = await get(`${base}/livez`);
      const until = Date.now() + 15_000;
      while (live.status !== 200 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        live = await get(`${base}/livez`);
      }
      expect(live.status).toBe(200);
    } finally {
      await locker.end();
      await worker.stop();
    }
  });
});

describe("the worker entry point", () => {
  test("serves /readyz and /metrics on WORKER_HEALTH_PORT and closes it when SIGTERM stops the worker", async () => {
    const port = await freePort();
    const child = spawnWorkerProcess(t.url, "health-probe", { WORKER_HEALTH_PORT: String(port), WORKER_HEALTH_HOST: "127.0.0.1" });
    try {
      const until = Date.now() + 90_000;
      let status = 0;
      while (Date.now() < until && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
      const metrics = await get(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.body).toContain("# TYPE runboard_worker_runs_started_total counter");
      // SIGTERM: it drains and stops, and the port is closed.
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
      await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
    } finally {
      await killHard(child);
    }
  }, 120_000);
});
