import { and, eq, like, lt, ne, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, type RunError } from "@/lib/db/schema";
import type { Outcome } from "./lifecycle";
import { failureOutcome, settleAttempt } from "./settle";

/** Seed 002's wording for runs a restart interrupted. */
export const WORKER_RESTARTED = "Worker restarted during execution";

const SWEEP_BATCH = 100;

type StaleRun = { id: string; jobType: string; attempt: number; maxAttempts: number; bossJobId: string | null; notify: boolean; cancelRequested: boolean };

function lostError(message: string, subType: string): RunError {
  return { message, type: "internal", source: "worker", subType, severity: 4, retryable: true };
}

async function recover(db: Db, boss: PgBoss, run: StaleRun, error: RunError, recoveredBy: string): Promise<boolean> {
  // A run whose cancel was requested ends cancelled; the rest fail and retry per policy.
  const outcome: Outcome = run.cancelRequested ? { status: "cancelled" } : failureOutcome(run.jobType, run.maxAttempts, run.attempt, error);
  return settleAttempt(db, boss, { runId: run.id, jobType: run.jobType, attempt: run.attempt, outcome, workerId: recoveredBy, durationMs: 0, staleBossJobId: run.bossJobId, notify: run.notify });
}

const staleColumns = {
  id: jobRuns.id,
  jobType: jobRuns.jobType,
  attempt: jobRuns.attemptCount,
  maxAttempts: jobRuns.maxAttempts,
  bossJobId: jobRuns.bossJobId,
  notify: jobRuns.notify,
  cancelRequested: sql<boolean>`${jobRuns.cancelRequestedAt} is not null`,
};

/**
 * On worker start: runs still `running` under an earlier process of this worker (same name,
 * another pid) were interrupted by a restart. End those attempts and retry per policy.
 */
export async function recoverRestartedRuns(db: Db, boss: PgBoss, workerName: string, workerId: string): Promise<number> {
  const rows = await db
    .select(staleColumns)
    .from(jobRuns)
    .where(and(eq(jobRuns.status, "running"), like(jobRuns.workerId, `${workerName.replace(/[\\%_]/g, "\\$&")}:%`), ne(jobRuns.workerId, workerId)))
    .limit(1000);
  let recovered = 0;
  for (const run of rows) if (await recover(db, boss, run, lostError(WORKER_RESTARTED, "worker_restarted"), workerId)) recovered++;
  return recovered;
}

/**
 * Any worker's sweep: a running run whose heartbeat is older than the threshold lost its worker
 * (crash, kill -9, partition). The fence means a worker that comes back late changes nothing.
 */
export async function sweepStaleRuns(db: Db, boss: PgBoss, staleAfterSeconds: number, sweeperId: string): Promise<number> {
  const rows = await db
    .select(staleColumns)
    .from(jobRuns)
    .where(and(eq(jobRuns.status, "running"), lt(jobRuns.lastHeartbeat, sql`now() - make_interval(secs => ${staleAfterSeconds})`)))
    .limit(SWEEP_BATCH);
  let recovered = 0;
  for (const run of rows) {
    if (await recover(db, boss, run, lostError(`No heartbeat for over ${staleAfterSeconds}s: the worker was lost`, "heartbeat_timeout"), sweeperId)) recovered++;
  }
  return recovered;
}
