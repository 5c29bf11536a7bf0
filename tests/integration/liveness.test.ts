import type { ChildProcess } from "node:child_process";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns, workers } from "@/lib/db/schema";
import { startAttempts } from "@/lib/jobs/lifecycle";
import { sweepStaleRuns } from "@/lib/jobs/worker/recovery";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, killHard, openTestEnv, runWorker, spawnWorkerProcess, trigger, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }));

async function triggerDemo(items: number, msPerItem: number): Promise<string> {
  // demo_paced allows one active run per project: each run gets a tenant of its own.
  const result = await trigger(t.db, boss, await createTenant(t.db), "demo_paced", { items, msPerItem });
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const liveInstances = (name: string) =>
  t.db
    .select()
    .from(workers)
    .where(and(eq(workers.name, name), isNull(workers.stoppedAt)));

const runsOf = (ids: string[]) => t.db.select().from(jobRuns).where(inArray(jobRuns.id, ids));

describe("worker identity", () => {
  test("two live workers share a name; one is killed and another of that name starts: the survivor's runs are never failed and complete", async () => {
    // A first (under the old name lock it was the lock holder), with room for two runs at once
    // (a batch of one in its one loop, and one detached), so B gets the runs triggered after.
    const a = spawnWorkerProcess(t.url, "twin", { WORKER_BATCH_SIZE: "1", WORKER_CONCURRENCY: "1" });
    let b: ChildProcess | null = null;
    try {
      const onA = [await triggerDemo(400, 50), await triggerDemo(400, 50)];
      // Generous waits: a worker process takes a while to start on a loaded machine.
      const aRows = await until(() => runsOf(onA), (rows) => rows.every((r) => r.status === "running"), 90_000);
      const aId = aRows[0]!.workerId!;
      expect(aRows[1]!.workerId).toBe(aId);
      b = spawnWorkerProcess(t.url, "twin", { SWEEP_INTERVAL_SECONDS: "0.5" });
      await until(() => liveInstances("twin"), (rows) => rows.length === 2, 90_000);
      const onB = [await triggerDemo(80, 100), await triggerDemo(80, 100), await triggerDemo(80, 100)];
      const bRows = await until(() => runsOf(onB), (rows) => rows.every((r) => r.status === "running"), 30_000);
      const bId = bRows[0]!.workerId!;
      expect(bId).not.toBe(aId);
      expect(bId).toMatch(/^twin:/);
      expect(bRows.every((r) => r.workerId === bId)).toBe(true);

      await killHard(a);
      // A third "twin" starts while B's runs are under way, and sweeps often.
      const c = await runWorker(t.url, { workerName: "twin", staleAfterSeconds: 60, sweepIntervalSeconds: 0.25 });
      try {
        // A's runs are recovered: by C's start if A had missed two pings by then, else by a sweep.
        for (const row of await until(() => runsOf(onA), (rows) => rows.every((r) => r.status !== "running"), 30_000)) {
          expect(row).toMatchObject({ status: "failed", workerId: aId });
          expect(["worker_restarted", "worker_lost"]).toContain(row.error?.subType);
        }
        const ended = await until(() => runsOf(onB), (rows) => rows.every((r) => r.status !== "running"), 60_000);
        for (const row of ended) expect(row).toMatchObject({ status: "completed", attemptCount: 1, workerId: bId, progressProcessed: 80 });
      } finally {
        await c.stop();
      }
    } finally {
      await Promise.all([killHard(a), b && killHard(b)]);
    }
  }, 300_000);

  test("a worker whose database connections are all busy in handlers is alive: its runs are not swept though their heartbeats are late", async () => {
    // Two runs hold the worker's two pooled connections for 5 s: its run heartbeats wait for one.
    const busy = await runWorker(t.url, {
      dbPool: 2,
      staleAfterSeconds: 2,
      handlers: {
        demo_paced: async (ctx) => {
          await ctx.db.execute(sql`select pg_sleep(5)`);
          return { processed: 0 };
        },
      },
    });
    try {
      const ids = [await triggerDemo(1, 10), await triggerDemo(1, 10)];
      await until(() => runsOf(ids), (rows) => rows.every((r) => r.status === "running"));
      // Another worker's sweep, with a 2 s heartbeat threshold, runs every 200 ms meanwhile.
      let latestHeartbeatAge = 0;
      const seen: unknown[] = [];
      for (;;) {
        await sweepStaleRuns(t.db, boss, 2);
        const rows = await runsOf(ids);
        seen.push(rows.map((r) => [r.status, r.workerId, r.lastHeartbeat]));
        if (rows.every((r) => r.status !== "running")) break;
        latestHeartbeatAge = Math.max(latestHeartbeatAge, ...rows.filter((r) => r.status === "running").map((r) => Date.now() - r.lastHeartbeat!.getTime()));
        await new Promise((r) => setTimeout(r, 200));
      }
      // The premise: the runs' own heartbeats went stale by the sweep's threshold…
      expect(latestHeartbeatAge, JSON.stringify(seen)).toBeGreaterThan(2_000);
      // …and the sweep left them to their live worker, which completed them.
      const ended = await until(() => runsOf(ids), (rows) => rows.every((r) => r.status !== "running"));
      for (const row of ended) expect(row.status).toBe("completed");
    } finally {
      await busy.stop();
    }
  }, 60_000);

  test("a run left running under a live worker's id that the worker does not hold (a claim whose answer was lost) is recovered by that worker", async () => {
    const workerId = `orphans:${process.pid}:0a0b0c`;
    const runId = await triggerDemo(2, 10);
    const [run] = await runsOf([runId]);
    // The claim committed under the worker's id; the worker never learned of it.
    const [claimed] = await startAttempts(t.db, [{ runId, bossJobId: run!.bossJobId! }], workerId);
    expect(claimed?.attempt).toBe(1);
    const worker = await runWorker(t.url, { workerId });
    try {
      const ended = await waitForRun(t.db, runId, (r) => r.status !== "running", 20_000);
      expect(ended).toMatchObject({ status: "failed", attemptCount: 1 });
      expect(ended.error).toMatchObject({ subType: "worker_lost_track", retryable: true });
    } finally {
      await worker.stop();
    }
  }, 45_000);
});

describe("pickup while long runs are in flight", () => {
  test("a run triggered while a long one runs starts and ends before the long one, with the worker's one fetch loop", async () => {
    const worker = await runWorker(t.url, { batchSize: 4, concurrency: 1 });
    try {
      const long = await triggerDemo(60, 50);
      await waitForRun(t.db, long, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 0);
      const short = await triggerDemo(2, 10);
      const shortDone = await waitForRun(t.db, short, (r) => r.status === "completed");
      const longDone = await waitForRun(t.db, long, (r) => r.status === "completed");
      expect(shortDone.completedAt!.getTime()).toBeLessThan(longDone.completedAt!.getTime());
      // The long run left its batch: pg-boss settled its job, and job_runs holds its outcome.
      const [job] = await t.sql<{ state: string; output: unknown }[]>`select state, output from pgboss.job where id = ${longDone.bossJobId!}`;
      expect(job).toEqual({ state: "completed", output: { runboardDetached: true } });
      expect(longDone).toMatchObject({ attemptCount: 1, progressProcessed: 60, result: { processed: 60 } });
    } finally {
      await worker.stop();
    }
  }, 45_000);

  test("detached runs stay within the worker's capacity: a batch of one in one loop, plus one detached", async () => {
    const worker = await runWorker(t.url, { batchSize: 1, concurrency: 1 });
    try {
      const ids = [await triggerDemo(15, 50), await triggerDemo(15, 50), await triggerDemo(15, 50)];
      // Handlers running at once, as the worker holds them (a run's row stays `running` until its
      // end is written, a moment after its handler returned).
      let most = 0;
      for (;;) {
        most = Math.max(most, worker.runner.activeRunIds().length);
        if ((await runsOf(ids)).every((r) => r.status === "completed")) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(most).toBe(2);
      expect(worker.runner.detachedCount("demo_paced")).toBe(0);
    } finally {
      await worker.stop();
    }
  }, 45_000);
});
