/**
 * Test a job type the way Oban.Testing.perform_job does: `performJob(def, payload)` creates a real
 * run in a real database, has the worker's own Runner claim and execute one attempt of it (the real
 * ActiveRun context: progress, stages, steps, cancel, ctx.fetch with its call log, timeouts) and
 * settle it, then returns the run as stored. Nothing is faked: only the pg-boss fetch loop is left
 * out, so the test decides when the attempt runs. No test framework here: lib/testing/vitest.ts
 * gives each vitest file its own database.
 */
import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import type { z } from "zod";
import { createDatabase, type Database } from "@/lib/db/client";
import { jobRunCalls, jobRuns, jobRunSteps, projects, teams, type RunError, type RunStatus } from "@/lib/db/schema";
import { createSendOnlyBoss, ensureQueues } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import type { JobDefinition } from "@/lib/jobs/define";
import { triggerRun, type QueueJobData } from "@/lib/jobs/enqueue";
import { cancelRun } from "@/lib/jobs/web/cancel";
import { outboundPolicy } from "@/lib/jobs/worker/outbound-guard";
import { Runner } from "@/workers/runner";

/** A database performJob works in: its pool, a send-only pg-boss, and a project made on first use. */
export type JobTestDatabase = {
  url: string;
  database: Database;
  boss: PgBoss;
  /** A team and project of its own, made once, for project-scoped job types. */
  project: () => Promise<{ teamId: string; projectId: string }>;
  /** The job types' queues, made once (a database cloned before a type was registered lacks its queue). */
  queues: () => Promise<void>;
  close: () => Promise<void>;
};

export type PerformJobOptions = {
  /** The run's project (it must exist in the database); by default one made for these tests. */
  projectId?: string;
  /** Ask to cancel the run this long after it was queued, as the Cancel button does. */
  cancelAfterMs?: number;
  /** Hosts ctx.fetch may call besides public ones, in OUTBOUND_ALLOW_HOSTS's form (e.g. "127.0.0.1" for a local test server). */
  allowHosts?: string;
  /** Replaces the type's timeoutSeconds for this attempt (e.g. a fraction of a second to test what a timeout does). */
  timeoutSeconds?: number | null;
  /** How often progress is written while the attempt runs (the worker's default is 1000 ms). */
  progressIntervalMs?: number;
  /** The database to run in; by default the one setupJobTestDatabase() opened for this test file. */
  database?: JobTestDatabase;
};

export type PerformedStep = { name: string; status: string; attempt: number; durationMs: number | null; error: { message: string; type: string | null; subType: string | null } | null };
export type PerformedCall = { attempt: number; retry: number; method: string; url: string; status: number | null; durationMs: number; error: string | null; requestHeaders: Record<string, string>; responseBody: string | null };

/** The run as stored after the attempt; a retryable failure leaves it `pending` with nextAttemptAt. */
export type PerformedRun = {
  id: string;
  jobType: string;
  status: RunStatus;
  attempts: number;
  maxAttempts: number;
  projectId: string | null;
  resource: { type: string; id: string } | null;
  progress: { processed: number | null; total: number | null; percent: number | null; message: string | null };
  stage: string | null;
  result: Record<string, unknown> | null;
  error: RunError | null;
  cancelRequested: boolean;
  nextAttemptAt: Date | null;
  steps: PerformedStep[];
  calls: PerformedCall[];
};

/** Opens a migrated database (its URL) for performJob; close() when done. */
export async function openJobTestDatabase(url: string, pool?: Database): Promise<JobTestDatabase> {
  const database = pool ?? createDatabase(url, { max: 5 });
  const boss = createSendOnlyBoss(url);
  boss.on("error", (error) => console.error("[pg-boss]", error));
  await boss.start();
  let project: Promise<{ teamId: string; projectId: string }> | null = null;
  let queues: Promise<void> | null = null;
  return {
    url,
    database,
    boss,
    project: () =>
      (project ??= (async () => {
        const tag = randomBytes(4).toString("hex");
        const [team] = await database.db.insert(teams).values({ slug: `job-tests-${tag}`, name: `Job tests ${tag}` }).returning({ id: teams.id });
        const [row] = await database.db.insert(projects).values({ teamId: team!.id, slug: `job-tests-${tag}`, name: `Job tests ${tag}` }).returning({ id: projects.id });
        return { teamId: team!.id, projectId: row!.id };
      })()),
    queues: () => (queues ??= ensureQueues(boss)),
    close: async () => {
      await boss.stop({ graceful: false, close: true });
      if (!pool) await database.close();
    },
  };
}

let current: JobTestDatabase | null = null;

/** The database performJob uses when none is passed (setupJobTestDatabase sets it per test file). */
export function setDefaultJobTestDatabase(database: JobTestDatabase | null): void {
  current = database;
}

/** Runs one attempt of a new run of `def` with `payload` and returns the run as stored. */
export async function performJob<P extends z.ZodType>(def: JobDefinition<P>, payload: z.input<P>, options: PerformJobOptions = {}): Promise<PerformedRun> {
  const target = options.database ?? current;
  if (!target) throw new Error("performJob needs a database: call setupJobTestDatabase() (lib/testing/vitest.ts) at the top of the test file, or pass { database: await openJobTestDatabase(url) }.");
  // The worker finds a run's job type in the catalog: an unregistered definition would never run.
  if (getJobDefinition(def.name) !== (def as unknown as JobDefinition)) throw new Error(`${def.name} is not the job type registered under that name: add it to jobs/index.ts (JOBS).`);
  const parsed = def.payload.parse(payload) as Record<string, unknown>;
  const { db } = target.database;
  const { boss } = target;
  const owner = await ownerOf(target, def, options.projectId);
  await target.queues();
  const triggered = await triggerRun(db, boss, { def: def as unknown as JobDefinition, payload: parsed, teamId: owner.teamId, projectId: owner.projectId, triggeredBy: null, notify: false });
  if (!triggered.ok) throw new Error(`${def.name} already has an active run (${triggered.existingRunId}) here, and its overlap rule ("${def.overlap}") allows one: let it end, or use another project.`);
  const runId = triggered.runId;
  const [queued] = await db.select({ bossJobId: jobRuns.bossJobId }).from(jobRuns).where(eq(jobRuns.id, runId));
  if (!queued?.bossJobId) throw new Error(`Run ${runId} has no queue job`);

  const runner = new Runner({
    db,
    boss,
    workerId: `perform-job:${process.pid}:${randomBytes(3).toString("hex")}`,
    heartbeatSeconds: 30,
    progressIntervalMs: options.progressIntervalMs ?? 50,
    cancelPollMs: 50,
    // The attempt stays in its "batch" until it ends: the test waits for it.
    detachAfterMs: 2 ** 31 - 1,
    detachedCapacity: 1,
    outbound: options.allowHosts === undefined ? undefined : outboundPolicy(options.allowHosts),
    timeouts: options.timeoutSeconds === undefined ? undefined : { [def.name]: options.timeoutSeconds },
  });
  runner.start();
  let cancelling: Promise<unknown> | null = null;
  const cancelTimer = options.cancelAfterMs === undefined ? null : setTimeout(() => (cancelling = cancelRun(db, boss, runId, null)), options.cancelAfterMs);
  try {
    // The job as pg-boss delivers it to a worker; pg-boss's own record of it is settled below.
    const job: Job<QueueJobData> = { id: queued.bossJobId, name: def.name, data: { runId }, expireInSeconds: 4 * 3600, heartbeatSeconds: null, retryCount: 0, signal: new AbortController().signal };
    const [delivered] = await runner.handleBatch([job]);
    if (cancelTimer) clearTimeout(cancelTimer);
    await cancelling;
    const left = await runner.flushEnds(10_000);
    if (left > 0) throw new Error(`The end of run ${runId} could not be written`);
    if (delivered?.status === "completed") await boss.complete(def.name, job.id, delivered.output ?? null, { includeQueued: true });
    else await boss.fail(def.name, job.id, delivered?.output ?? null);
  } finally {
    if (cancelTimer) clearTimeout(cancelTimer);
    runner.stop();
  }
  return readRun(target, runId);
}

async function ownerOf(target: JobTestDatabase, def: JobDefinition, projectId: string | undefined): Promise<{ teamId: string | null; projectId: string | null }> {
  if (def.scope === "system") {
    if (projectId) throw new Error(`${def.name} is a system job type: its runs belong to no project.`);
    return { teamId: null, projectId: null };
  }
  if (!projectId) return target.project();
  const [row] = await target.database.db.select({ teamId: projects.teamId }).from(projects).where(eq(projects.id, projectId));
  if (!row) throw new Error(`No project ${projectId} in the test database.`);
  return { teamId: row.teamId, projectId };
}

/** The run, its steps and its calls as the database holds them. */
export async function readRun(target: JobTestDatabase, runId: string): Promise<PerformedRun> {
  const { db } = target.database;
  const [r] = await db.select().from(jobRuns).where(eq(jobRuns.id, runId));
  if (!r) throw new Error(`No run ${runId}`);
  const steps = await db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, runId)).orderBy(asc(jobRunSteps.createdAt), asc(jobRunSteps.id));
  const calls = await db.select().from(jobRunCalls).where(eq(jobRunCalls.runId, runId)).orderBy(asc(jobRunCalls.createdAt), asc(jobRunCalls.id));
  return {
    id: r.id,
    jobType: r.jobType,
    status: r.status,
    attempts: r.attemptCount,
    maxAttempts: r.maxAttempts,
    projectId: r.projectId,
    resource: r.resourceType && r.resourceId ? { type: r.resourceType, id: r.resourceId } : null,
    progress: { processed: r.progressProcessed, total: r.progressTotal, percent: r.progressPercent, message: r.progressMessage },
    stage: r.currentStage,
    result: r.result,
    error: r.error,
    cancelRequested: r.cancelRequestedAt !== null,
    nextAttemptAt: r.status === "pending" ? r.runAt : null,
    steps: steps.map((s) => ({ name: s.stepType, status: s.status, attempt: s.attemptNumber, durationMs: s.durationMs, error: s.errorMessage ? { message: s.errorMessage, type: s.errorType, subType: s.errorSubType } : null })),
    calls: calls.map((c) => ({ attempt: c.attempt, retry: c.retry, method: c.method, url: c.url, status: c.responseStatus, durationMs: c.durationMs, error: c.error, requestHeaders: c.requestHeaders, responseBody: c.responseBody })),
  };
}
