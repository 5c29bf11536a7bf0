import { randomUUID } from "node:crypto";
import { and, eq, like, lt, ne, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, type RunError, type RunStatus } from "@/lib/db/schema";
import { JOB_DEFINITIONS } from "./catalog";
import { sendAttempt } from "./enqueue";
import { TERMINAL_STATUSES, type Outcome } from "./lifecycle";
import { failureOutcome, outcomeFromOutput, settleAttempt } from "./settle";

/** Seed 002's wording for runs a restart interrupted. */
export const WORKER_RESTARTED = "Worker restarted during execution";

const SWEEP_BATCH = 100;

type StaleRun = { id: string; jobType: string; attempt: number; maxAttempts: number; bossJobId: string | null; notify: boolean; cancelRequested: boolean };

function lostError(message: string, subType: string): RunError {
  return { message, type: "internal", source: "worker", subType, severity: 4, retryable: true };
}

/**
 * The outcome a worker handed to pg-boss for this attempt but did not write itself before it died
 * (see EndWriter): the attempt did finish, so that is how it ends (a retry included, with the next
 * attempt's queue job the worker chose), and pg-boss's record of the job says how long it took.
 */
async function endedInQueue(db: Db, run: StaleRun): Promise<{ outcome: Outcome; durationMs: number | null } | null> {
  if (!run.bossJobId) return null;
  const [job] = await db.execute<{ output: unknown; duration_ms: number | null }>(sql`
    select output, round(extract(epoch from completed_on - started_on) * 1000)::int as duration_ms
    from pgboss.job where id = ${run.bossJobId}::uuid and name = ${run.jobType} and state in ('completed', 'failed')`);
  const outcome = job ? outcomeFromOutput(job.output) : null;
  return outcome ? { outcome, durationMs: job!.duration_ms } : null;
}

async function recover(db: Db, boss: PgBoss, run: StaleRun, error: RunError): Promise<boolean> {
  try {
    // Ended as its worker handed to pg-boss; else a run whose cancel was requested ends cancelled,
    // and the rest fail (with their lost queue job) and retry per policy. A lost attempt's
    // duration runs from its start (attempt_started_at) to now.
    const ended = await endedInQueue(db, run);
    const outcome: Outcome = ended?.outcome ?? (run.cancelRequested ? { status: "cancelled" } : failureOutcome(run.jobType, run.maxAttempts, run.attempt, error));
    const staleBossJobId = ended ? null : run.bossJobId;
    return await settleAttempt(db, boss, { runId: run.id, jobType: run.jobType, attempt: run.attempt, outcome, durationMs: ended?.durationMs ?? null, staleBossJobId, notify: run.notify });
  } catch (e) {
    // One run that cannot be ended must not stop the others (or the worker's start).
    console.error(`[worker] could not recover run ${run.id}`, e);
    return false;
  }
}

/**
 * Pending runs whose queue job is gone or already finished (a delivery whose claim was given up, a
 * job deleted by hand) would wait forever and hold their overlap slot: give each a new queue job.
 * A job pg-boss settled while its run stayed pending was never claimed (a claim that lands moves
 * the run on in the same statement), so its run is requeued at once; a missing job only once its
 * run has been due for a while, so a job being sent is never raced.
 */
export async function requeueOrphanedPending(db: Db, boss: PgBoss, graceSeconds: number): Promise<number> {
  const rows = await db.execute<{ id: string; job_type: string }>(sql`
    select r.id, r.job_type from job_runs r
    where r.status = 'pending' and r.run_at < now()
      and not exists (
        select 1 from pgboss.job j
        where j.id = r.boss_job_id and j.name = r.job_type and j.state in ('created', 'retry', 'active'))
      and (r.run_at < now() - make_interval(secs => ${graceSeconds})
        or exists (select 1 from pgboss.job j where j.id = r.boss_job_id and j.name = r.job_type))
    limit ${SWEEP_BATCH}`);
  let requeued = 0;
  for (const row of rows) {
    try {
      await db.transaction(async (tx) => {
        const bossJobId = randomUUID();
        const moved = await tx
          .update(jobRuns)
          .set({ bossJobId, updatedAt: sql`now()` })
          .where(and(eq(jobRuns.id, row.id), eq(jobRuns.status, "pending")))
          .returning({ id: jobRuns.id });
        if (moved.length > 0) await sendAttempt(boss, tx, row.job_type, row.id, bossJobId);
      });
      requeued++;
    } catch (e) {
      console.error(`[worker] could not requeue run ${row.id}`, e);
    }
  }
  return requeued;
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
  for (const run of rows) if (await recover(db, boss, run, lostError(WORKER_RESTARTED, "worker_restarted"))) recovered++;
  return recovered;
}

/**
 * Any worker's sweep: a running run whose heartbeat is older than the threshold lost its worker
 * (crash, kill -9, partition). The fence means a worker that comes back late changes nothing.
 */
export async function sweepStaleRuns(db: Db, boss: PgBoss, staleAfterSeconds: number): Promise<number> {
  const rows = await db
    .select(staleColumns)
    .from(jobRuns)
    .where(and(eq(jobRuns.status, "running"), lt(jobRuns.lastHeartbeat, sql`now() - make_interval(secs => ${staleAfterSeconds})`)))
    .limit(SWEEP_BATCH);
  let recovered = 0;
  for (const run of rows) {
    if (await recover(db, boss, run, lostError(`No heartbeat for over ${staleAfterSeconds}s: the worker was lost`, "heartbeat_timeout"))) recovered++;
  }
  return recovered;
}

/**
 * pg-boss jobs still `active` whose run has ended, or has moved on to another queue job (a later
 * attempt), or is gone: their worker could not tell pg-boss (the database was away when the batch
 * ended, or the process died after writing the end), and pg-boss would hold them active until its
 * expiry (4 h). Settle them as their run ended: completed for a completed or cancelled run, failed
 * otherwise. Only jobs started over `graceSeconds` ago, so a batch whose worker is about to settle
 * it is left to do so (if it does so anyway, pg-boss ignores a settle of a job no longer active).
 */
export async function settleEndedRunJobs(db: Db, boss: PgBoss, graceSeconds: number): Promise<number> {
  const rows = await db.execute<{ id: string; name: string; status: RunStatus | null }>(sql`
    select j.id, j.name, r.status
    from pgboss.job j
    left join job_runs r on r.id = case when j.data->>'runId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (j.data->>'runId')::uuid end
    where j.name = any(string_to_array(${JOB_DEFINITIONS.map((d) => d.name).join(",")}, ','))
      and j.state = 'active' and j.started_on < now() - make_interval(secs => ${graceSeconds})
      and (r.id is null or r.status = any(string_to_array(${TERMINAL_STATUSES.join(",")}, ',')) or r.boss_job_id is distinct from j.id)
    limit ${SWEEP_BATCH}`);
  const groups = new Map<string, { name: string; ok: boolean; ids: string[] }>();
  for (const row of rows) {
    const ok = row.status === "completed" || row.status === "cancelled";
    const key = `${row.name}:${ok}`;
    const group = groups.get(key) ?? { name: row.name, ok, ids: [] };
    group.ids.push(row.id);
    groups.set(key, group);
  }
  let settled = 0;
  for (const { name, ok, ids } of groups.values()) {
    const output = { message: "Settled by recovery: the run had already ended or moved on" };
    try {
      const result: { affected?: number } = ok ? await boss.complete(name, ids, output) : await boss.fail(name, ids, output);
      // pg-boss 12 types its answer as an empty interface; it carries how many jobs it settled.
      settled += result.affected ?? 0;
    } catch (e) {
      console.error(`[worker] could not settle ${ids.length} ${name} job(s) of ended runs`, e);
    }
  }
  return settled;
}
