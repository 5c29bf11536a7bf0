import { and, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns, jobRunSteps, workers } from "@/lib/db/schema";
import { cancelRun } from "@/lib/jobs/web/cancel";
import { finishAttempt, finishAttempts, startAttempts, writeProgress } from "@/lib/jobs/lifecycle";
import { sweepStaleRuns, WORKER_RESTARTED } from "@/lib/jobs/worker/recovery";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, killHard, openTestEnv, runWorker, spawnWorkerProcess, type Tenant, trigger, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }));

async function triggerDemo(tenant: Tenant, items: number, msPerItem: number): Promise<string> {
  const result = await trigger(t.db, boss, tenant, "demo_paced", { items, msPerItem });
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

const bossJobState = async (id: string) => (await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${id}`)[0]?.state;

const spawnWorker = (name: string) => spawnWorkerProcess(t.url, name);

describe("cancel", () => {
  test("a pending run is cancelled at once and its queue job removed", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerDemo(tenant, 1, 10);
    const result = await cancelRun(t.db, boss, runId, tenant.userId);
    expect(result).toEqual({ outcome: "cancelled", status: "cancelled" });
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(run).toMatchObject({ status: "cancelled", cancelledBy: tenant.userId });
    expect(await bossJobState(run!.bossJobId!)).toBe("cancelled");
    // The slot is free again.
    expect((await trigger(t.db, boss, tenant, "demo_paced", { items: 1 })).ok).toBe(true);
  });

  test("a running run gets a request, the handler stops early and the run ends cancelled", async () => {
    const worker = await runWorker(t.url);
    try {
      const tenant = await createTenant(t.db);
      const runId = await triggerDemo(tenant, 200, 50);
      await waitForRun(t.db, runId, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 2);
      expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "cancelling", status: "running" });
      const done = await waitForRun(t.db, runId, (r) => r.status === "cancelled", 5_000);
      expect(done.progressProcessed).toBeLessThan(200);
      expect(done.completedAt).not.toBeNull();
      expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "already_finished", status: "cancelled" });
    } finally {
      await worker.stop();
    }
  });
});

describe("stale runs", () => {
  test("after kill -9 of a worker mid-run, another worker's sweep ends the run from the lost worker's liveness, and the late write is ignored", async () => {
    const tenant = await createTenant(t.db);
    const child = spawnWorker("doomed");
    let rescuer: RunningWorker | null = null;
    try {
      const runId = await triggerDemo(tenant, 400, 50);
      // A generous wait: a worker process takes a while to start on a loaded machine.
      const running = await waitForRun(t.db, runId, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 0, 90_000);
      expect(running.workerId).toMatch(/^doomed:\d+:[0-9a-f]{6}$/);
      // Already running when the other dies (a worker that starts later on its host recovers at
      // once; see below). Its stale-heartbeat threshold is far off: only the lost worker's liveness
      // can end the run.
      rescuer = await runWorker(t.url, { staleAfterSeconds: 600, sweepIntervalSeconds: 0.5 });
      await killHard(child);
      const killedAt = Date.now();
      const rescued = await waitForRun(t.db, runId, (r) => r.status !== "running", 60_000);
      // demo_paced is one-shot: a lost attempt fails the run.
      expect(rescued).toMatchObject({ status: "failed", attemptCount: 1 });
      expect(rescued.error).toMatchObject({ type: "internal", source: "worker", subType: "worker_lost", retryable: true });
      expect(rescued.errorMessage).toContain(running.workerId!);
      // Judged from the instance's liveness (HEARTBEAT_SECONDS 1: lost after 1.5 s without a ping),
      // long before the run's own heartbeat would have been called stale.
      const [instance] = await t.db.select().from(workers).where(eq(workers.id, running.workerId!));
      expect(instance).toMatchObject({ name: "doomed", heartbeatSeconds: 1, stoppedAt: null });
      expect(rescued.completedAt!.getTime() - instance!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(1_500);
      expect(rescued.completedAt!.getTime() - rescued.lastHeartbeat!.getTime()).toBeLessThan(600_000);
      // A long run leaves its pg-boss batch (see Runner.handleBatch): pg-boss had settled its job.
      expect(await bossJobState(running.bossJobId!)).toBe("completed");
      // The attempt's step row names the worker that was lost, and how long the attempt had run.
      const [lost] = await t.db.select().from(jobRunSteps).where(and(eq(jobRunSteps.runId, runId), eq(jobRunSteps.stepType, "attempt")));
      expect(lost).toMatchObject({ status: "failed", attemptNumber: 1, workerId: running.workerId, errorSubType: "worker_lost" });
      expect(lost!.durationMs).toBeGreaterThanOrEqual(killedAt - running.attemptStartedAt!.getTime());
      expect(await writeProgress(t.db, runId, running.attemptCount, { processed: 399, total: 400, message: "late", stage: null })).toBeNull();
      const [after] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
      expect(after?.progressMessage).not.toBe("late");
    } finally {
      await killHard(child);
      await rescuer?.stop();
    }
  }, 240_000);

  test("an end the worker handed to pg-boss but died before writing is finished from the job's output", async () => {
    const tenant = await createTenant(t.db);
    // A live worker hands each end of a run that ended within its batch to pg-boss as the job's
    // output (and writes it shortly after).
    const worker = await runWorker(t.url, { detachAfterMs: 60_000 });
    try {
      const runId = await triggerDemo(tenant, 2, 10);
      const done = await waitForRun(t.db, runId, (r) => r.status === "completed");
      const [job] = await t.sql<{ output: unknown }[]>`select output from pgboss.job where id = ${done.bossJobId!}`;
      expect(job?.output).toEqual({ runboardOutcome: { status: "completed", result: done.result } });
    } finally {
      await worker.stop();
    }
    // A worker that claimed a run, handed its outcome to pg-boss, and died before its own write.
    const runId = await triggerDemo(tenant, 3, 10);
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    await t.db.insert(workers).values({ id: "gone:1:000000", name: "gone", host: "elsewhere", pid: 1, version: "0", jobTypes: ["demo_paced"], concurrency: 1, heartbeatSeconds: 1, lastSeenAt: new Date(Date.now() - 3600_000) });
    const [started] = await startAttempts(t.db, [{ runId, bossJobId: run!.bossJobId! }], "gone:1:000000");
    expect(started?.attempt).toBe(1);
    const output = { runboardOutcome: { status: "completed", result: { processed: 3 } } };
    await t.sql`update pgboss.job set state = 'completed', started_on = now() - interval '2 seconds', completed_on = now(), output = ${JSON.stringify(output)}::jsonb where id = ${run!.bossJobId!}`;
    expect(await sweepStaleRuns(t.db, boss, 60)).toBeGreaterThanOrEqual(1);
    const [ended] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    // Completed as the worker said, not failed as lost; and pg-boss's record is left as it was.
    expect(ended).toMatchObject({ status: "completed", result: { processed: 3 }, error: null, attemptCount: 1 });
    // Its step row: the worker that ran it, and the duration pg-boss recorded for the job.
    const [step] = await t.db.select().from(jobRunSteps).where(and(eq(jobRunSteps.runId, runId), eq(jobRunSteps.stepType, "attempt")));
    expect(step).toMatchObject({ status: "completed", workerId: "gone:1:000000", durationMs: 2000 });
    expect(await bossJobState(run!.bossJobId!)).toBe("completed");
  }, 45_000);

  test("a worker started on the host of a dead one fails what it left running, at once", async () => {
    const tenant = await createTenant(t.db);
    const child = spawnWorker("restarting");
    let runId = "";
    try {
      runId = await triggerDemo(tenant, 400, 50);
      await waitForRun(t.db, runId, (r) => r.status === "running", 90_000);
    } finally {
      await killHard(child);
    }
    // Silent for over a heartbeat interval (two missed pings) by the time its successor starts.
    await new Promise((r) => setTimeout(r, 1_100));
    const restarted = await runWorker(t.url, { workerName: "restarting", staleAfterSeconds: 600, sweepIntervalSeconds: 600 });
    try {
      expect(restarted.recoveredAtStart).toBe(1);
      const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
      expect(run).toMatchObject({ status: "failed", errorMessage: WORKER_RESTARTED });
    } finally {
      await restarted.stop();
    }
  }, 180_000);
});

describe("fencing and orphans", () => {
  test("while attempt 2 runs, writes for attempt 1 change nothing", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerDemo(tenant, 1, 10);
    // Stands for a run whose attempt 1 was rescued and whose attempt 2 is running elsewhere.
    await t.sql`update pgboss.job set state = 'cancelled' where data->>'runId' = ${runId}`;
    await t.db.update(jobRuns).set({ status: "running", attemptCount: 2, progressMessage: "attempt 2" }).where(eq(jobRuns.id, runId));
    expect(await writeProgress(t.db, runId, 1, { processed: 1, total: 1, message: "late", stage: null })).toBeNull();
    expect(await finishAttempt(t.db, runId, 1, { status: "completed", result: {} }, { durationMs: 1 })).toBe(false);
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(run).toMatchObject({ status: "running", attemptCount: 2, progressMessage: "attempt 2" });
    expect(await writeProgress(t.db, runId, 2, { processed: 1, total: 1, message: "mine", stage: null })).toEqual({ cancelRequested: false });
  });

  test("an end whose messages hold NUL characters is written without them, and the other ends in its batch with it", async () => {
    // Two projects: demo_paced allows one active run per project.
    const [bad, good] = [await triggerDemo(await createTenant(t.db), 1, 10), await triggerDemo(await createTenant(t.db), 1, 10)];
    const runOf = async (id: string) => (await t.db.select().from(jobRuns).where(eq(jobRuns.id, id)))[0]!;
    const claimed = await startAttempts(t.db, [{ runId: bad, bossJobId: (await runOf(bad)).bossJobId! }, { runId: good, bossJobId: (await runOf(good)).bossJobId! }], "w:1");
    const error = { message: "bad\u0000byte", type: "internal", source: "handler", subType: "x", severity: 3, retryable: false };
    const written = await finishAttempts(t.db, [
      { runId: bad, attempt: claimed[0]!.attempt, outcome: { status: "failed", error }, progress: { processed: 1, total: 2, message: "half\u0000way", stage: null }, durationMs: 5 },
      { runId: good, attempt: claimed[1]!.attempt, outcome: { status: "completed", result: { note: "fine\u0000" } }, durationMs: 5 },
    ]);
    expect(written).toEqual([true, true]);
    expect(await runOf(bad)).toMatchObject({ status: "failed", errorMessage: "badbyte", progressMessage: "halfway", error: { message: "badbyte" } });
    expect(await runOf(good)).toMatchObject({ status: "completed", result: { note: "fine" } });
  });

  test("a pending run whose queue job is gone gets a new one and runs", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerDemo(tenant, 1, 10);
    // Its job failed before the run was claimed (as when the claim write fails): nothing would run it.
    await t.sql`update pgboss.job set state = 'failed' where data->>'runId' = ${runId}`;
    await t.db.update(jobRuns).set({ runAt: new Date(Date.now() - 60_000) }).where(eq(jobRuns.id, runId));
    const worker = await runWorker(t.url, { staleAfterSeconds: 3, sweepIntervalSeconds: 0.5 });
    try {
      const done = await waitForRun(t.db, runId, (r) => r.status === "completed", 10_000);
      expect(done.attemptCount).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  test("a run without redacted columns (an older release wrote it) gets them from a running worker's sweep", async () => {
    const tenant = await createTenant(t.db);
    const worker = await runWorker(t.url, { staleAfterSeconds: 3, sweepIntervalSeconds: 0.5 });
    try {
      // Written once the worker's start-up backfill has found nothing and ended, as an older web
      // process would during an upgrade.
      await new Promise((r) => setTimeout(r, 1_500));
      const [row] = await t.sql<{ id: string }[]>`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, error_message, completed_at)
        values (gen_random_uuid(), ${tenant.teamId}, ${tenant.projectId}, 'demo_paced', 'failed', 1, ${JSON.stringify({ dsn: "postgres://app:hunter2@db/x" })}::jsonb,
          'connect failed: password=hunter2', now()) returning id`;
      const until = Date.now() + 10_000;
      let filled: { payload_public: unknown; error_message_public: string | null } | undefined;
      while (Date.now() < until && !filled?.payload_public) {
        [filled] = await t.sql<{ payload_public: unknown; error_message_public: string | null }[]>`select payload_public, error_message_public from job_runs where id = ${row!.id}`;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(filled).toEqual({ payload_public: { dsn: "postgres://***@db/x" }, error_message_public: "connect failed: password=***" });
    } finally {
      await worker.stop();
    }
  });

  test("a handler whose attempt was taken over by a sweep is stopped", async () => {
    const tenant = await createTenant(t.db);
    const worker = await runWorker(t.url);
    try {
      const runId = await triggerDemo(tenant, 400, 50);
      await waitForRun(t.db, runId, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 0);
      // Another party ends the attempt (as a sweep would after a partition); the worker notices.
      await t.db.update(jobRuns).set({ status: "failed", completedAt: new Date() }).where(eq(jobRuns.id, runId));
      await new Promise((r) => setTimeout(r, 2_500));
      // Without the heartbeat's check the handler would still be paced through its 400 items.
      expect(worker.runner.activeRunIds()).not.toContain(runId);
    } finally {
      await worker.stop();
    }
  });
});

describe("graceful shutdown", () => {
  test("runs that finish within the grace period complete; the rest end and nothing is left running", async () => {
    const worker = await runWorker(t.url, { shutdownGraceMs: 1_000 });
    const a = await createTenant(t.db);
    const b = await createTenant(t.db);
    const quick = await triggerDemo(a, 5, 100);
    const slow = await triggerDemo(b, 500, 50);
    await waitForRun(t.db, quick, (r) => r.status === "running");
    await waitForRun(t.db, slow, (r) => r.status === "running");
    await worker.stop();
    const [q] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, quick));
    const [s] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, slow));
    expect(q?.status).toBe("completed");
    expect(s).toMatchObject({ status: "failed" });
    expect(s?.error).toMatchObject({ subType: "worker_shutdown", retryable: true });
  }, 30_000);
});
