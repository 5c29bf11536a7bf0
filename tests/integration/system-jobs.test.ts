import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns, jobRunSteps, jobSchedules, projects } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { addMonths, createMonthPartition, listMonthPartitions, partitionFor } from "@/lib/jobs/worker/partitions";
import { CRON_QUEUE, registerSchedules, runScheduleTick } from "@/lib/jobs/worker/schedules";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  // No sweeps here: some rows stand for running history without a live worker.
  worker = await runWorker(t.url, { staleAfterSeconds: 600, sweepIntervalSeconds: 600 });
});
afterAll(() => closeTestEnv({ t, boss }, worker));

async function runSystem(jobType: string, payload: Record<string, unknown> = {}) {
  const def = getJobDefinition(jobType)!;
  const result = await triggerRun(t.db, boss, { def, payload: def.payload.parse(payload) as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
  if (!result.ok) throw new Error(`${jobType} already active`);
  return waitForRun(t.db, result.runId, (r) => r.status !== "pending" && r.status !== "running");
}

/** A history row (no queue job: it stands for past work) whose completion lies `daysAgo` back. */
async function finishedRun(daysAgo: number, status: "completed" | "running" = "completed"): Promise<string> {
  const tenant = await createTenant(t.db);
  const when = new Date(Date.now() - daysAgo * 86_400_000);
  const id = randomUUID();
  await t.db.insert(jobRuns).values({
    id,
    teamId: tenant.teamId,
    projectId: tenant.projectId,
    jobType: "runs_export",
    status,
    attemptCount: 1,
    maxAttempts: 3,
    payload: { days: 1 },
    queuedAt: when,
    startedAt: when,
    completedAt: status === "completed" ? when : null,
    lastHeartbeat: new Date(),
  });
  return id;
}

describe("partition_creation", () => {
  test("creates the missing months ahead and moves rows that had landed in the default partition", async () => {
    const ahead = partitionFor(addMonths(new Date(), 5));
    // A step row dated five months ahead lands in the default partition for now.
    const runId = await finishedRun(0);
    await t.db.insert(jobRunSteps).values({ runId, stepType: "future", status: "completed", attemptNumber: 1, createdAt: new Date(ahead.from.getTime() + 3600_000) });
    const run = await runSystem("partition_creation", { monthsAhead: 6 });
    expect(run.status).toBe("completed");
    const names = (await listMonthPartitions(t.db)).map((p) => p.name);
    for (let i = 0; i <= 6; i++) expect(names).toContain(partitionFor(addMonths(new Date(), i)).name);
    expect((run.result as { created: string[] }).created).toContain(ahead.name);
    const inPartition = await t.db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from "${ahead.name}" where step_type = 'future'`));
    expect(inPartition[0]?.n).toBe(1);
    const inDefault = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from job_run_steps_default`);
    expect(inDefault[0]?.n).toBe(0);
    // Running it again changes nothing.
    const again = await runSystem("partition_creation", { monthsAhead: 6 });
    expect((again.result as { created: string[] }).created).toEqual([]);
  });
});

describe("db_pruning", () => {
  test("deletes finished runs past retention and drops old step months, never an active run", async () => {
    const old = await finishedRun(200);
    const recent = await finishedRun(5);
    const oldButRunning = await finishedRun(200, "running");
    const ancient = partitionFor(new Date(Date.UTC(2020, 0, 1)));
    await createMonthPartition(t.db, ancient);
    const run = await runSystem("db_pruning", { retentionDays: 90 });
    expect(run.status).toBe("completed");
    const ids = (await t.db.select({ id: jobRuns.id }).from(jobRuns)).map((r) => r.id);
    expect(ids).not.toContain(old);
    expect(ids).toContain(recent);
    expect(ids).toContain(oldButRunning);
    expect((run.result as { droppedPartitions: string[] }).droppedPartitions).toContain(ancient.name);
    expect((await listMonthPartitions(t.db)).map((p) => p.name)).not.toContain(ancient.name);
  });

  test("deletes rate-limit buckets that have refilled and keeps the ones still counting", async () => {
    await t.db.execute(sql`insert into rate_limits (key, tat, allowed) values ('test:refilled', now() - interval '1 minute', true), ('test:counting', now() + interval '10 minutes', false)`);
    const run = await runSystem("db_pruning", { retentionDays: 90 });
    expect((run.result as { rateLimitRows: number }).rateLimitRows).toBe(1);
    const keys = await t.db.execute<{ key: string }>(sql`select key from rate_limits where key like 'test:%'`);
    expect(keys.map((r) => r.key)).toEqual(["test:counting"]);
  });

  test("over the size limit, the oldest finished runs go first and running ones stay", async () => {
    const running = await finishedRun(3, "running");
    const finished = await finishedRun(3);
    const run = await runSystem("db_pruning", { retentionDays: 3650, maxDatabaseMb: 1 });
    expect(run.status).toBe("completed");
    expect((run.result as { runsDeletedForSize: number }).runsDeletedForSize).toBeGreaterThan(0);
    const ids = (await t.db.select({ id: jobRuns.id }).from(jobRuns)).map((r) => r.id);
    expect(ids).toContain(running);
    expect(ids).not.toContain(finished);
  });
});

describe("soft_delete_cleanup", () => {
  test("hard-deletes projects soft-deleted over 7 days ago with their runs, keeps newer ones and ones with active runs", async () => {
    const gone = await createTenant(t.db);
    const kept = await createTenant(t.db);
    const busy = await createTenant(t.db);
    const goneRun = await trigger(t.db, boss, gone, "runs_export", { days: 1 });
    await waitForRun(t.db, goneRun.ok ? goneRun.runId : "", (r) => r.status === "completed");
    await t.db.update(projects).set({ deletedAt: new Date(Date.now() - 8 * 86_400_000) }).where(eq(projects.id, gone.projectId));
    await t.db.update(projects).set({ deletedAt: new Date(Date.now() - 6 * 86_400_000) }).where(eq(projects.id, kept.projectId));
    // A deleted project takes no runs: the busy one got its run before its (hand-made) delete.
    await trigger(t.db, boss, busy, "demo_paced", { items: 100, msPerItem: 100 });
    await t.db.update(projects).set({ deletedAt: new Date(Date.now() - 30 * 86_400_000) }).where(eq(projects.id, busy.projectId));
    const run = await runSystem("soft_delete_cleanup");
    expect(run.status).toBe("completed");
    const left = (await t.db.select({ id: projects.id }).from(projects)).map((p) => p.id);
    expect(left).not.toContain(gone.projectId);
    expect(left).toContain(kept.projectId);
    expect(left).toContain(busy.projectId);
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, gone.projectId))).toHaveLength(0);
  });
});

describe("schedules", () => {
  test("each scheduled system job has a UTC cron in pg-boss", async () => {
    await registerSchedules(t.db, boss);
    const schedules = await boss.getSchedules(CRON_QUEUE);
    expect(Object.fromEntries(schedules.map((s) => [s.key, s.cron]))).toEqual({ db_pruning: "0 * * * *", soft_delete_cleanup: "0 3 * * *", partition_creation: "0 4 * * *" });
    expect(schedules.every((s) => s.timezone === "UTC")).toBe(true);
  });

  test("a tick while the previous run is still running is skipped and the skip recorded; the next free tick starts one", async () => {
    // The previous run, still running (as a long cleanup would be when the next tick fires).
    const previous = randomUUID();
    await t.db.insert(jobRuns).values({ id: previous, jobType: "soft_delete_cleanup", status: "running", maxAttempts: 3, payload: {}, exclusiveKey: "system:soft_delete_cleanup", attemptCount: 1, lastHeartbeat: new Date() });
    const skipped = await runScheduleTick(t.db, boss, "soft_delete_cleanup");
    expect(skipped).toEqual({ outcome: "skipped", existingRunId: previous });
    expect(await runScheduleTick(t.db, boss, "soft_delete_cleanup")).toEqual({ outcome: "skipped", existingRunId: previous });
    const [row] = await t.db.select().from(jobSchedules).where(eq(jobSchedules.jobType, "soft_delete_cleanup"));
    expect(row).toMatchObject({ skippedCount: 2, cron: "0 3 * * *" });
    expect(row?.lastSkippedAt).not.toBeNull();

    await t.db.update(jobRuns).set({ status: "completed", completedAt: new Date() }).where(eq(jobRuns.id, previous));
    const started = await runScheduleTick(t.db, boss, "soft_delete_cleanup");
    expect(started.outcome).toBe("started");
    if (started.outcome !== "started") return;
    const [after] = await t.db.select().from(jobSchedules).where(eq(jobSchedules.jobType, "soft_delete_cleanup"));
    expect(after).toMatchObject({ skippedCount: 2, lastRunId: started.runId });
    await waitForRun(t.db, started.runId, (r) => r.status === "completed");
  });
});

describe("npm run system", () => {
  test("lists the system job types with their schedules and skipped ticks", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/system.ts", "list"], { cwd: root, env: { ...process.env, DATABASE_URL: t.url } });
    expect(stdout).toMatch(/^TYPE\s+SCHEDULE \(UTC\)/);
    expect(stdout).toMatch(/partition_creation\s+0 4 \* \* \*/);
    expect(stdout).toMatch(/notification_delivery\s+manual/);
  });
});
