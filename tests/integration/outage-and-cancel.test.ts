import { randomUUID } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { jobRuns, jobRunSteps } from "@/lib/db/schema";
import { cancelRun, type CancelOutcome } from "@/lib/jobs/web/cancel";
import { finishAttempt, startAttempts } from "@/lib/jobs/lifecycle";
import { requeueOrphanedPending, settleEndedRunJobs, sweepStaleRuns } from "@/lib/jobs/worker/recovery";
import { WORKER_DB_APPLICATION } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun, type Tenant } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
let admin: postgres.Sql;
let dbName: string;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  // Its connections are cut below like everyone's: it reconnects by itself.
  boss.on("error", () => undefined);
  admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => undefined });
  dbName = new URL(t.url).pathname.slice(1);
});
afterAll(async () => {
  await admin.unsafe(`alter database "${dbName}" allow_connections true`);
  await admin.end();
  await closeTestEnv({ t, boss });
});

/**
 * The database goes away for this test file's database: no new session is accepted and the
 * sessions of `application` (every application when omitted) are ended, as a Postgres restart
 * does. The test's own connections to other databases (admin) are untouched.
 */
async function cutConnections(application?: string): Promise<void> {
  await admin.unsafe(`alter database "${dbName}" allow_connections false`);
  await admin`select pg_terminate_backend(pid) from pg_stat_activity
    where datname = ${dbName} and pid <> pg_backend_pid() and (${application ?? null}::text is null or application_name = ${application ?? null})`;
}

async function restoreConnections(): Promise<void> {
  await admin.unsafe(`alter database "${dbName}" allow_connections true`);
}

async function triggerDemo(tenant: Tenant, items: number, msPerItem: number): Promise<string> {
  const result = await trigger(t.db, boss, tenant, "demo_paced", { items, msPerItem });
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

const activeBossJobs = async (jobIds: string[]) =>
  (await t.sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where id = any(${jobIds}::uuid[]) and state = 'active'`)[0]!.n;

describe("a Postgres outage", () => {
  test("runs that finish while the database is away are recorded completed once it is back: nothing lost, nothing failed, no queue job left active", async () => {
    // Lost after 6 s without a heartbeat: well past the outage, well before any test timeout, so
    // an end given up on would be swept as lost and the test would see it.
    const worker = await runWorker(t.url, { heartbeatSeconds: 1, staleAfterSeconds: 6, sweepIntervalSeconds: 0.5 });
    try {
      const tenants = await Promise.all(Array.from({ length: 6 }, () => createTenant(t.db)));
      const runIds = await Promise.all(tenants.map((tenant) => triggerDemo(tenant, 12, 100)));
      const running = await Promise.all(runIds.map((id) => waitForRun(t.db, id, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 2)));
      await cutConnections();
      // The handlers finish (about a second later) and their ends cannot be written.
      await new Promise((r) => setTimeout(r, 3_500));
      await restoreConnections();
      for (const id of runIds) {
        const done = await waitForRun(t.db, id, (r) => r.status !== "running", 20_000);
        expect(done).toMatchObject({ status: "completed", attemptCount: 1, result: { processed: 12 }, errorMessage: null });
      }
      // Past the stale threshold: still completed, and no attempt of theirs was failed as lost.
      await new Promise((r) => setTimeout(r, 6_500));
      const runs = await t.db.select({ status: jobRuns.status }).from(jobRuns).where(inArray(jobRuns.id, runIds));
      expect(runs.map((r) => r.status)).toEqual(runIds.map(() => "completed"));
      const steps = await t.db.select({ status: jobRunSteps.status }).from(jobRunSteps).where(and(inArray(jobRunSteps.runId, runIds), eq(jobRunSteps.stepType, "attempt")));
      expect(steps.map((s) => s.status)).toEqual(runIds.map(() => "completed"));
      // pg-boss could not record these jobs either while the database was away; recovery settles them.
      const jobIds = running.map((r) => r.bossJobId!);
      const until = Date.now() + 15_000;
      while ((await activeBossJobs(jobIds)) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(await activeBossJobs(jobIds)).toBe(0);
    } finally {
      await restoreConnections();
      await worker.stop();
    }
  }, 60_000);

  test("a claim that fails because the database is away is retried: the run starts within seconds of its return", async () => {
    // Sweeps far apart: only the worker itself can start the run promptly.
    const worker = await runWorker(t.url, { staleAfterSeconds: 60, sweepIntervalSeconds: 60 });
    try {
      const tenant = await createTenant(t.db);
      // Warm up: the worker's own pool has connections to lose.
      await waitForRun(t.db, await triggerDemo(tenant, 1, 10), (r) => r.status === "completed");
      // Only the worker's own sessions go (pg-boss's stay): pg-boss delivers, the claim fails.
      await cutConnections(WORKER_DB_APPLICATION);
      const runId = await triggerDemo(tenant, 2, 10);
      const [job] = await t.db.select({ bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, runId));
      const delivered = Date.now() + 10_000;
      while (Date.now() < delivered) {
        const [row] = await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${job!.bossJobId!}`;
        if (row?.state !== "created") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Delivered, and the claim is failing meanwhile.
      await new Promise((r) => setTimeout(r, 1_500));
      const [waiting] = await t.db.select({ status: jobRuns.status }).from(jobRuns).where(eq(jobRuns.id, runId));
      expect(waiting?.status).toBe("pending");
      await restoreConnections();
      const back = Date.now();
      await waitForRun(t.db, runId, (r) => r.status !== "pending", 10_000);
      expect(Date.now() - back).toBeLessThan(5_000);
      const done = await waitForRun(t.db, runId, (r) => r.status === "completed");
      expect(done.attemptCount).toBe(1);
    } finally {
      await restoreConnections();
      await worker.stop();
    }
  }, 60_000);
});

describe("a claim given up on", () => {
  test("a pending run whose queue job pg-boss settled unclaimed is requeued by the next sweep, not after the stale threshold", async () => {
    const runId = await triggerDemo(await createTenant(t.db), 1, 10);
    // As when a worker gives up a claim: pg-boss records the job failed, the run stays pending.
    await t.sql`update pgboss.job set state = 'failed', completed_on = now() where data->>'runId' = ${runId}`;
    const [before] = await t.db.select({ bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, runId));
    expect(await requeueOrphanedPending(t.db, boss, 3600)).toBeGreaterThanOrEqual(1);
    const [after] = await t.db.select({ status: jobRuns.status, bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, runId));
    expect(after?.status).toBe("pending");
    expect(after?.bossJobId).not.toBe(before!.bossJobId);
    const [job] = await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${after!.bossJobId!}`;
    expect(job?.state).toBe("created");
    // A run whose queue job is simply waiting is left alone.
    const waiting = await triggerDemo(await createTenant(t.db), 1, 10);
    await requeueOrphanedPending(t.db, boss, 3600);
    const [untouched] = await t.db.select({ bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, waiting));
    expect((await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${untouched!.bossJobId!}`)[0]?.state).toBe("created");
    expect((await t.sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where data->>'runId' = ${waiting}`)[0]?.n).toBe(1);
  });
});

describe("pg-boss jobs of ended runs", () => {
  test("recovery settles queue jobs left active for runs that ended, as they ended, and leaves a running run's job alone", async () => {
    const start = async (outcome: "completed" | "failed" | "running") => {
      const runId = await triggerDemo(await createTenant(t.db), 1, 10);
      // Delivered (active in pg-boss) and claimed, as a worker does.
      const [run] = await t.db.select({ bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, runId));
      const job = (await boss.fetch("demo_paced", { batchSize: 10 })).find((j) => j.id === run!.bossJobId);
      expect(job).toBeDefined();
      await startAttempts(t.db, [{ runId, bossJobId: job!.id }], "gone:1");
      if (outcome === "completed") expect(await finishAttempt(t.db, runId, 1, { status: "completed", result: {} }, { durationMs: 1 })).toBe(true);
      const error = { message: "x", type: "internal" as const, source: "worker" as const, subType: "x", severity: 3, retryable: false };
      if (outcome === "failed") expect(await finishAttempt(t.db, runId, 1, { status: "failed", error }, { durationMs: 1 })).toBe(true);
      return job!.id;
    };
    const completed = await start("completed");
    const failed = await start("failed");
    const running = await start("running");
    const state = async (id: string) => (await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${id}`)[0]?.state;
    expect([await state(completed), await state(failed), await state(running)]).toEqual(["active", "active", "active"]);
    // Within the grace period nothing is touched: the batch's worker may be about to settle them.
    expect(await settleEndedRunJobs(t.db, boss, 3600)).toBe(0);
    expect(await settleEndedRunJobs(t.db, boss, 0)).toBe(2);
    expect([await state(completed), await state(failed), await state(running)]).toEqual(["completed", "failed", "active"]);
  });
});

describe("an end the worker handed to pg-boss but died before writing", () => {
  test("a retry is scheduled from the job's output, with the next attempt's queue job and time the worker chose", async () => {
    const tenant = await createTenant(t.db);
    const result = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
    if (!result.ok) throw new Error("trigger refused");
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, result.runId));
    await startAttempts(t.db, [{ runId: result.runId, bossJobId: run!.bossJobId! }], "gone:1");
    const next = randomUUID();
    const runAt = new Date(Date.now() + 3_600_000);
    const error = { message: "Upstream timed out", type: "timeout", source: "external_service", subType: "api_timeout", severity: 3, retryable: true };
    const output = { runboardOutcome: { status: "pending", error, runAt: runAt.toISOString(), bossJobId: next } };
    await t.sql`update pgboss.job set state = 'failed', started_on = now() - interval '1 second', completed_on = now(), output = ${JSON.stringify(output)}::jsonb where id = ${run!.bossJobId!}`;
    await t.db.update(jobRuns).set({ lastHeartbeat: new Date(Date.now() - 3600_000) }).where(eq(jobRuns.id, result.runId));
    expect(await sweepStaleRuns(t.db, boss, 60)).toBeGreaterThanOrEqual(1);
    const [after] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, result.runId));
    expect(after).toMatchObject({ status: "pending", bossJobId: next, attemptCount: 1, errorMessage: "Upstream timed out" });
    expect(after!.runAt.getTime()).toBe(runAt.getTime());
    const [job] = await t.sql<{ state: string; start_after: string }[]>`select state, start_after from pgboss.job where id = ${next}`;
    expect(job?.state).toBe("created");
    expect(new Date(job!.start_after).getTime()).toBe(runAt.getTime());
  });
});

describe("cancel racing the end of a run", () => {
  test("a cancel that arrives while a finished run's end waits to be written wins: the answer 'cancelling' and the run ends cancelled", async () => {
    let release: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (release = resolve));
    const worker = await runWorker(t.url, {
      staleAfterSeconds: 60,
      handlers: {
        // Returns its result when the test says so, and ignores cancel requests.
        demo_paced: async () => {
          await finished;
          return { processed: 1 };
        },
      },
    });
    try {
      const tenant = await createTenant(t.db);
      const runId = await triggerDemo(tenant, 1, 10);
      await waitForRun(t.db, runId, (r) => r.status === "running");
      // The worker can no longer write; the handler returns; its end waits.
      await cutConnections(WORKER_DB_APPLICATION);
      release();
      await new Promise((r) => setTimeout(r, 500));
      const answer = await cancelRun(t.db, boss, runId, tenant.userId);
      expect(answer).toEqual({ outcome: "cancelling", status: "running" });
      await restoreConnections();
      const done = await waitForRun(t.db, runId, (r) => r.status !== "running", 15_000);
      // The handler's result is kept; the attempt's step says how it ended.
      expect(done).toMatchObject({ status: "cancelled", result: { processed: 1 } });
      const [step] = await t.db.select().from(jobRunSteps).where(and(eq(jobRunSteps.runId, runId), eq(jobRunSteps.stepType, "attempt")));
      expect(step?.status).toBe("cancelled");
      expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "already_finished", status: "cancelled" });
    } finally {
      await restoreConnections();
      await worker.stop();
    }
  }, 30_000);

  test("50 cancels racing the end of their run: every answer matches the status the run ends with", async () => {
    const worker = await runWorker(t.url, { staleAfterSeconds: 60 });
    try {
      const round = async (): Promise<{ answer: CancelOutcome; final: string }> => {
        const tenant = await createTenant(t.db);
        const runId = await triggerDemo(tenant, 2, 40);
        await waitForRun(t.db, runId, (r) => r.status !== "pending");
        // Around the moment the handler returns (two items of 40 ms after a warm-up step).
        await new Promise((r) => setTimeout(r, 40 + Math.random() * 120));
        const answer = await cancelRun(t.db, boss, runId, tenant.userId);
        const done = await waitForRun(t.db, runId, (r) => r.status !== "running" && r.status !== "pending", 15_000);
        return { answer, final: done.status };
      };
      const results: { answer: CancelOutcome; final: string }[] = [];
      for (let i = 0; i < 50; i += 10) results.push(...(await Promise.all(Array.from({ length: 10 }, round))));
      for (const { answer, final } of results) {
        if (answer.outcome === "already_finished") expect(final).toBe(answer.status);
        else expect([answer.outcome, final]).toEqual([answer.outcome, "cancelled"]);
      }
      // Both sides of the race were exercised.
      expect(results.some((r) => r.answer.outcome === "cancelling")).toBe(true);
      expect(results.some((r) => r.answer.outcome === "already_finished")).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
