import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull, lt, notInArray, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, workers, type RunError, type RunStatus } from "@/lib/db/schema";
import { JOB_DEFINITIONS } from "../catalog";
import { knownDefinitions } from "../known-types";
import { sendAttempt } from "../enqueue";
import { TERMINAL_STATUSES, type Outcome } from "../lifecycle";
import { LOST_AFTER_HEARTBEATS } from "../liveness";
import { failureOutcome, outcomeFromOutput, settleAttempt } from "../settle";

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
 * run has been due for a while, so a job being sent is never raced. So is a job fetched (active)
 * over `graceSeconds` ago whose run is still pending: the worker that fetched it died (or froze)
 * before its claim landed, and pg-boss would hold it until its expiry (4 h). A claim that lands
 * after all names the old job, no longer the run's, and starts nothing (found by the scale-out
 * test: a worker SIGKILLed between a fetch and its claim).
 */
export async function requeueOrphanedPending(db: Db, boss: PgBoss, graceSeconds: number): Promise<number> {
  const rows = await db.execute<{ id: string; job_type: string; boss_job_id: string | null }>(sql`
    select r.id, r.job_type, r.boss_job_id from job_runs r
    where r.status = 'pending' and r.run_at < now()
      -- Held by a pause or a concurrency limit (no queue job on purpose): released by lib/jobs/worker/queue-gate.
      and r.boss_job_id is not null
      and not exists (
        select 1 from pgboss.job j
        where j.id = r.boss_job_id and j.name = r.job_type
          and (j.state in ('created', 'retry') or (j.state = 'active' and j.started_on >= now() - make_interval(secs => ${graceSeconds}))))
      and (r.run_at < now() - make_interval(secs => ${graceSeconds})
        or exists (select 1 from pgboss.job j where j.id = r.boss_job_id and j.name = r.job_type))
    limit ${SWEEP_BATCH}`);
  let requeued = 0;
  for (const row of rows) {
    try {
      await db.transaction(async (tx) => {
        const bossJobId = randomUUID();
        // Fenced on the job it was read with: two workers' sweeps that read the same run give it one
        // new job, not one each (the scale-out test saw a run run three times from three jobs).
        const moved = await tx
          .update(jobRuns)
          .set({ bossJobId, updatedAt: sql`now()` })
          .where(and(eq(jobRuns.id, row.id), eq(jobRuns.status, "pending"), row.boss_job_id === null ? isNull(jobRuns.bossJobId) : eq(jobRuns.bossJobId, row.boss_job_id)))
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

async function recoverAll<R extends StaleRun>(db: Db, boss: PgBoss, runs: R[], error: (run: R) => RunError): Promise<number> {
  let recovered = 0;
  for (const run of runs) if (await recover(db, boss, run, error(run))) recovered++;
  return recovered;
}

/**
 * On worker start: an earlier instance on this host that has missed two pings and whose process is
 * gone (`gone`, see workers/liveness) was interrupted. Mark it stopped and end what it left
 * running now, rather than when its liveness runs out. Both conditions, because a pid says nothing
 * about a process on another machine that happens to have the same host name (or in another pid
 * namespace): an instance that still pings is alive wherever it runs.
 */
export async function recoverRestartedRuns(db: Db, boss: PgBoss, host: string, gone: (instance: { id: string; pid: number }) => boolean): Promise<number> {
  const candidates = await db
    .select({ id: workers.id, pid: workers.pid })
    .from(workers)
    .where(and(eq(workers.host, host), isNull(workers.stoppedAt), lt(workers.lastSeenAt, sql`now() - make_interval(secs => ${workers.heartbeatSeconds})`)))
    .limit(1000);
  const dead = candidates.filter(gone).map((w) => w.id);
  if (dead.length === 0) return 0;
  const runs = await db
    .select(staleColumns)
    .from(jobRuns)
    .where(and(eq(jobRuns.status, "running"), inArray(jobRuns.workerId, dead)))
    .limit(1000);
  const recovered = await recoverAll(db, boss, runs, () => lostError(WORKER_RESTARTED, "worker_restarted"));
  // Marked after its runs are ended, so no sweep meanwhile tells them it stopped gracefully.
  await db.update(workers).set({ stoppedAt: sql`now()` }).where(inArray(workers.id, dead));
  return recovered;
}

/**
 * Any worker's sweep, run every half heartbeat: a running run lost its worker when that worker's
 * instance stopped, or stopped answering (its `workers` row not refreshed for LOST_AFTER_HEARTBEATS
 * of its own heartbeat intervals). A run whose instance answers is never swept, however late its
 * own heartbeat: a busy worker is not a lost one. Only a run whose worker never registered (a
 * worker from before the registry) is judged by its own heartbeat, after staleAfterSeconds.
 *
 * Silence only means something while the database was there to hear it: `healthyForSeconds` is
 * how long the sweeping worker has itself reached the database without a break, and an instance
 * is judged only once that covers its whole window. After an outage or a Postgres restart every
 * row looks old, and the others re-register within half a heartbeat, before anyone judges them.
 * (Callers that know the database was up, such as tests, leave it out.) The fence means a worker
 * that comes back late changes nothing.
 */
export async function sweepStaleRuns(db: Db, boss: PgBoss, staleAfterSeconds: number, healthyForSeconds = Number.MAX_SAFE_INTEGER): Promise<number> {
  const healthy = sql`${healthyForSeconds}::float8`;
  const rows = await db
    .select({ ...staleColumns, workerId: jobRuns.workerId, registered: sql<boolean>`${workers.id} is not null`, stopped: sql<boolean>`${workers.stoppedAt} is not null` })
    .from(jobRuns)
    .leftJoin(workers, eq(workers.id, jobRuns.workerId))
    .where(
      and(
        eq(jobRuns.status, "running"),
        sql`case
          when ${workers.id} is null then ${jobRuns.lastHeartbeat} < now() - make_interval(secs => ${staleAfterSeconds}) and ${healthy} >= ${staleAfterSeconds}
          when ${workers.stoppedAt} is not null then true
          else ${workers.lastSeenAt} < now() - make_interval(secs => ${workers.heartbeatSeconds} * ${LOST_AFTER_HEARTBEATS})
            and ${healthy} >= ${workers.heartbeatSeconds} * ${LOST_AFTER_HEARTBEATS} end`,
      ),
    )
    .limit(SWEEP_BATCH);
  return recoverAll(db, boss, rows, (row) => {
    if (!row.registered) return lostError(`No heartbeat for over ${staleAfterSeconds}s: the worker was lost`, "heartbeat_timeout");
    if (row.stopped) return lostError(`Worker ${row.workerId} stopped before the run ended`, "worker_stopped");
    return lostError(`Worker ${row.workerId} stopped answering: the worker was lost`, "worker_lost");
  });
}

/**
 * A live worker's own lost runs: `running` under its id for over `graceSeconds` but not held by
 * it (a claim that committed while its answer was lost). Nobody else would ever sweep them, since
 * the worker answers. What it holds is asked again once the query has answered: under load the
 * query may wait for a connection for longer than the grace, while runs claimed meanwhile start
 * (a snapshot from before the query failed live runs as "lost track", found by the scale-out test).
 */
export async function recoverOwnOrphans(db: Db, boss: PgBoss, workerId: string, heldNow: () => string[], graceSeconds: number): Promise<number> {
  const held = heldNow();
  const candidates = await db
    .select(staleColumns)
    .from(jobRuns)
    .where(
      and(
        eq(jobRuns.status, "running"),
        eq(jobRuns.workerId, workerId),
        lt(jobRuns.attemptStartedAt, sql`now() - make_interval(secs => ${graceSeconds})`),
        held.length > 0 ? notInArray(jobRuns.id, held) : undefined,
      ),
    )
    .limit(SWEEP_BATCH);
  const stillHeld = new Set(heldNow());
  const rows = candidates.filter((run) => !stillHeld.has(run.id));
  return recoverAll(db, boss, rows, () => lostError("The worker lost track of the run", "worker_lost_track"));
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
    where j.name = any(string_to_array(${[...JOB_DEFINITIONS, ...knownDefinitions()].map((d) => d.name).join(",")}, ','))
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
