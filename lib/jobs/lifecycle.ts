import { and, eq, sql } from "drizzle-orm";
import { clientOf, type DbOrTx } from "@/lib/db/client";
import { jobRuns, jobRunSteps, type RunError, type RunStatus } from "@/lib/db/schema";
import { capError, capText, publicErrorMessage, redactJson } from "./redact";

/** Progress messages are a line of status, not a log: longer ones are cut when written. */
export const MAX_PROGRESS_MESSAGE = 1024;

/**
 * The one place that says how a run may move. Every status write below names its source states
 * in its WHERE clause, so a write that arrives late (a rescued or retried attempt) changes nothing.
 */
export const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  pending: ["running", "cancelled", "failed"],
  running: ["completed", "failed", "cancelled", "dead_letter", "pending"],
  completed: [],
  failed: ["pending"],
  cancelled: [],
  dead_letter: ["pending"],
};

export const ACTIVE_STATUSES = ["pending", "running"] as const satisfies readonly RunStatus[];
export const TERMINAL_STATUSES = ["completed", "failed", "cancelled", "dead_letter"] as const satisfies readonly RunStatus[];

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_STATUSES as readonly RunStatus[]).includes(status);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses a run may be in to move to `to`. */
function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => canTransition(from, to));
}

/**
 * The per-batch statements below are prepared once per connection and then run on a cached
 * generic plan. Each batch arrives as parallel arrays (unnest), and every fence, the status a run
 * must still be in included, is a per-row join column rather than a constant: the only condition
 * on job_runs the planner can index is then its primary key. (With `status = 'pending'` as a
 * constant, a generic plan made while statistics said "few pending runs" would walk the partial
 * index of active runs on every call, which under a backlog holds all of them.)
 */
const CLAIMABLE: RunStatus = (() => {
  const [only, ...others] = sourcesOf("running");
  if (!only || others.length) throw new Error("startAttempts expects exactly one status a run starts from");
  return only;
})();

/**
 * Every statement that writes many running job_runs rows locks them first in id order, so two of
 * them (an end write and a heartbeat, both over a worker's held runs) never take the same rows in
 * opposite orders: that cycle deadlocked, and a cancel waiting in line for one of the rows was
 * its victim (tests/integration/lock-order.test.ts). A single-row writer (cancelRun) cannot
 * close a cycle with these. A claim needs no such lock: its rows are pending ones whose queue
 * jobs were delivered to this worker alone, and every other writer of pending rows takes one row
 * at a time or skips locked ones (queue-gate release, redaction backfill).
 */
const LOCK_IN_ID_ORDER = `with locked as (select id from job_runs where id = any($1::uuid[]) order by id for update)`;

const STARTED_COLUMNS = `r.id as run_id, r.boss_job_id, r.attempt_count as attempt, r.payload, r.project_id, r.team_id, r.resource_type, r.resource_id, r.max_attempts, r.notify,
    r.cancel_requested_at is not null as cancel_requested`;

/**
 * Claim `$1..$4`: run ids, their delivered queue job ids, the status each must be in, worker id.
 * The attempt's start is recorded on the run row only (attempt_started_at, worker_id): its step row
 * is written once, when it ends, with its duration (FINISH_SQL).
 */
const CLAIM_SQL = `
  update job_runs r set
    status = 'running',
    attempt_count = r.attempt_count + 1,
    started_at = coalesce(r.started_at, now()),
    attempt_started_at = now(),
    last_heartbeat = now(),
    worker_id = $4,
    updated_at = now()
  from unnest($1::uuid[], $2::uuid[], $3::text[]) as v(run_id, boss_job_id, from_status)
  where r.id = any($1::uuid[]) and r.id = v.run_id and r.boss_job_id = v.boss_job_id and r.status = v.from_status
  returning ${STARTED_COLUMNS}`;

export type StartedAttempt = {
  runId: string;
  attempt: number;
  payload: Record<string, unknown>;
  projectId: string | null;
  teamId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  maxAttempts: number;
  notify: boolean;
  cancelRequested: boolean;
};

/**
 * Claim runs for the pg-boss jobs that were delivered, many at once (one UPDATE). Each attempt is
 * its own pg-boss job, so a delivery whose job id is no longer the run's (cancelled, superseded)
 * starts nothing and gets null.
 */
export async function startAttempts(db: DbOrTx, deliveries: { runId: string; bossJobId: string }[], workerId: string): Promise<(StartedAttempt | null)[]> {
  if (deliveries.length === 0) return [];
  const params = [deliveries.map((d) => d.runId), deliveries.map((d) => d.bossJobId), deliveries.map(() => CLAIMABLE), workerId] as never[];
  const rows = await clientOf(db).unsafe<StartedRow[]>(CLAIM_SQL, params, { prepare: true });
  return startedOf(deliveries, rows);
}

/**
 * The attempts `workerId` already holds under these deliveries: after a claim whose answer was
 * lost with its connection, it may have committed all the same.
 */
export async function attemptsClaimedBy(db: DbOrTx, deliveries: { runId: string; bossJobId: string }[], workerId: string): Promise<StartedAttempt[]> {
  if (deliveries.length === 0) return [];
  const rows = await clientOf(db).unsafe<StartedRow[]>(
    `select ${STARTED_COLUMNS} from job_runs r join unnest($1::uuid[], $2::uuid[]) as v(run_id, boss_job_id) on r.id = v.run_id
     where r.boss_job_id = v.boss_job_id and r.status = 'running' and r.worker_id = $3`,
    [deliveries.map((d) => d.runId), deliveries.map((d) => d.bossJobId), workerId] as never[],
  );
  return startedOf(deliveries, rows).filter((a): a is StartedAttempt => a !== null);
}

type StartedRow = {
  run_id: string;
  boss_job_id: string;
  attempt: number;
  payload: Record<string, unknown>;
  project_id: string | null;
  team_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  max_attempts: number;
  notify: boolean;
  cancel_requested: boolean;
};

/**
 * Each claimed row goes to the delivery of its queue job only: a batch may carry two jobs of one
 * run (a requeued run's old job and its new one), and only the run's own job starts it.
 */
function startedOf(deliveries: { runId: string; bossJobId: string }[], rows: StartedRow[]): (StartedAttempt | null)[] {
  const byJob = new Map(rows.map((r) => [`${r.run_id}:${r.boss_job_id}`, r]));
  return deliveries.map((d) => {
    const r = byJob.get(`${d.runId}:${d.bossJobId}`);
    return r
      ? {
          runId: r.run_id,
          attempt: r.attempt,
          payload: r.payload,
          projectId: r.project_id,
          teamId: r.team_id,
          resourceType: r.resource_type,
          resourceId: r.resource_id,
          maxAttempts: r.max_attempts,
          notify: r.notify,
          cancelRequested: r.cancel_requested,
        }
      : null;
  });
}

export type Progress = { processed: number; total: number | null; message: string | null; stage: string | null };

export function percentOf(processed: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((processed / total) * 100)));
}

/** Write progress and heartbeat for a running attempt; returns whether cancel was requested. */
export async function writeProgress(db: DbOrTx, runId: string, attempt: number, progress: Progress): Promise<{ cancelRequested: boolean } | null> {
  const rows = await db
    .update(jobRuns)
    .set({
      progressProcessed: progress.processed,
      progressTotal: progress.total,
      progressMessage: progress.message === null ? null : capText(progress.message, MAX_PROGRESS_MESSAGE),
      progressPercent: percentOf(progress.processed, progress.total),
      currentStage: progress.stage,
      lastHeartbeat: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.attemptCount, attempt), eq(jobRuns.status, "running")))
    .returning({ cancelRequestedAt: jobRuns.cancelRequestedAt });
  const row = rows[0];
  return row ? { cancelRequested: row.cancelRequestedAt !== null } : null;
}

export type Outcome =
  | { status: "completed"; result: Record<string, unknown> }
  | { status: "cancelled" }
  | { status: "failed" | "dead_letter"; error: RunError }
  | { status: "pending"; error: RunError; runAt: Date; bossJobId: string };

export type FinishInput = {
  runId: string;
  attempt: number;
  outcome: Outcome;
  progress?: Progress;
  /** As the worker measured it; null when someone else ends the attempt (from attempt_started_at). */
  durationMs: number | null;
};

/**
 * End an attempt. Fenced on (run, attempt, running): returns false when the attempt was already
 * ended elsewhere (cancelled while pending, rescued as stale), and then nothing was written.
 */
export async function finishAttempt(db: DbOrTx, runId: string, attempt: number, outcome: Outcome, extra: { progress?: Progress; durationMs: number | null }): Promise<boolean> {
  const [written] = await finishAttempts(db, [{ runId, attempt, outcome, ...extra }]);
  return written ?? false;
}

/**
 * End attempts, `$1..$17`: one array per column below. run_at travels as text: drizzle turns
 * postgres.js's timestamptz[] serializer into a pass-through. The attempt's step row names the
 * worker that ran it (a recovered attempt: the worker that was lost). Errors arrive capped, and
 * with the redacted message tenants read ($16); results with their redacted copy ($17).
 *
 * A cancel requested while the attempt ran wins over whatever it ended with (see cancelRun): the
 * run ends `cancelled`, no further attempt, error or dead letter; a result the handler returned is
 * kept. The check reads the row as locked by this statement, so a cancel that commits while the write
 * waits is seen.
 */
const FINISH_SQL = `
  ${LOCK_IN_ID_ORDER}, v as (
    select * from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[],
      $9::int[], $10::int[], $11::text[], $12::int[], $13::text[], $14::text[], $15::int[], $16::text[], $17::text[])
      as v(id, attempt, from_status, status, result, error, run_at, boss_job_id, processed, total, message, percent, stage, step_status, duration_ms,
        error_public, result_public)
  ), ended as (
    update job_runs r set
      status = case when r.cancel_requested_at is not null then 'cancelled' else v.status end,
      result = case when v.status = 'completed' then v.result::jsonb else r.result end,
      result_public = case when v.status = 'completed' then v.result_public::jsonb else r.result_public end,
      -- A run that completes (on a later attempt) no longer carries an earlier attempt's error;
      -- the step rows keep it. A cancelled one keeps what it had.
      error = case when r.cancel_requested_at is not null then r.error when v.status = 'completed' then null else coalesce(v.error::jsonb, r.error) end,
      error_message = case when r.cancel_requested_at is not null then r.error_message when v.status = 'completed' then null
        else coalesce(v.error::jsonb->>'message', r.error_message) end,
      error_message_public = case when r.cancel_requested_at is not null then r.error_message_public when v.status = 'completed' then null
        when v.error is null then r.error_message_public else v.error_public end,
      completed_at = case when v.status <> 'pending' or r.cancel_requested_at is not null then now() else r.completed_at end,
      run_at = case when r.cancel_requested_at is not null then r.run_at else coalesce(v.run_at::timestamptz, r.run_at) end,
      boss_job_id = case when r.cancel_requested_at is not null then r.boss_job_id else coalesce(v.boss_job_id, r.boss_job_id) end,
      progress_processed = case when v.has_progress then v.processed else r.progress_processed end,
      progress_total = case when v.has_progress then v.total else r.progress_total end,
      progress_message = case when v.has_progress then v.message else r.progress_message end,
      progress_percent = case when v.has_progress then v.percent else r.progress_percent end,
      current_stage = case when v.has_progress then v.stage else r.current_stage end,
      updated_at = now()
    from (select *, processed is not null as has_progress from v) v
    where r.id in (select id from locked) and r.id = v.id and r.attempt_count = v.attempt and r.status = v.from_status
    returning r.id, r.status, r.worker_id, r.attempt_started_at),
  -- Only attempts that were really ended get their step row, in the same statement.
  end_steps as (
    insert into job_run_steps (run_id, step_type, status, attempt_number, error_message, error_message_public, error_type, error_source, error_sub_type, error_severity, worker_id, duration_ms)
    select v.id, 'attempt', case when ended.status = 'cancelled' then 'cancelled' else v.step_status end, v.attempt,
      v.error::jsonb->>'message', v.error_public, v.error::jsonb->>'type', v.error::jsonb->>'source', v.error::jsonb->>'subType',
      (v.error::jsonb->>'severity')::smallint, ended.worker_id,
      coalesce(v.duration_ms, round(extract(epoch from now() - ended.attempt_started_at) * 1000)::int)
    from v join ended on ended.id = v.id)
  select id, status from ended`;

/** FINISH_SQL's parameters, one array per column. */
function finishParams(items: FinishInput[]): never[] {
  for (const item of items) {
    if (!canTransition("running", item.outcome.status)) throw new Error(`A running attempt cannot end as ${item.outcome.status}`);
  }
  const column = <T>(pick: (item: FinishInput, index: number) => T) => items.map(pick);
  // Capped here, where every attempt's end is written: a handler's 1 MB message is stored as 8 KB.
  const errors = items.map((item) => ("error" in item.outcome ? capError(item.outcome.error) : null));
  // Postgres text and jsonb refuse NUL characters: one in a handler's message must not fail the
  // batch's write (the ends of other runs).
  const text = (v: string | null | undefined) => (v == null ? null : v.replaceAll("\u0000", ""));
  const json = (v: unknown) => JSON.stringify(v, (_key, value: unknown) => (typeof value === "string" ? value.replaceAll("\u0000", "") : value));
  return [
    column((i) => i.runId),
    column((i) => i.attempt),
    column(() => "running"),
    column((i) => i.outcome.status),
    column((i) => (i.outcome.status === "completed" ? json(i.outcome.result) : null)),
    column((_i, n) => (errors[n] ? json(errors[n]) : null)),
    column((i) => (i.outcome.status === "pending" ? i.outcome.runAt.toISOString() : null)),
    column((i) => (i.outcome.status === "pending" ? i.outcome.bossJobId : null)),
    column((i) => i.progress?.processed ?? null),
    column((i) => i.progress?.total ?? null),
    column((i) => text(i.progress?.message == null ? null : capText(i.progress.message, MAX_PROGRESS_MESSAGE))),
    column((i) => (i.progress ? (i.outcome.status === "completed" && i.progress.total ? 100 : percentOf(i.progress.processed, i.progress.total)) : null)),
    column((i) => text(i.progress?.stage)),
    column((i) => (i.outcome.status === "pending" ? "retrying" : i.outcome.status === "dead_letter" ? "failed" : i.outcome.status)),
    column((i) => i.durationMs),
    column((_i, n) => (errors[n] ? text(publicErrorMessage(errors[n].message)) : null)),
    column((i) => (i.outcome.status === "completed" ? json(redactJson(i.outcome.result)) : null)),
  ] as never[];
}

/** finishAttempt for many attempts: one UPDATE and one step insert, whatever their outcomes. */
export async function finishAttempts(db: DbOrTx, items: FinishInput[]): Promise<boolean[]> {
  return (await endAttempts(db, items)).map((status) => status !== null);
}

/**
 * finishAttempts, answering for each attempt the status its run was left in (its outcome's, or
 * `cancelled` when a cancel was requested meanwhile), or null when it had already been ended.
 */
export async function endAttempts(db: DbOrTx, items: FinishInput[]): Promise<(RunStatus | null)[]> {
  if (items.length === 0) return [];
  const rows = await clientOf(db).unsafe<{ id: string; status: RunStatus }[]>(FINISH_SQL, finishParams(items), { prepare: true });
  const written = new Map(rows.map((r) => [r.id, r.status]));
  return items.map((item) => written.get(item.runId) ?? null);
}

export type StepRecord = {
  runId: string;
  attempt: number;
  stepType: string;
  status: "completed" | "failed" | "skipped";
  durationMs: number;
  workerId: string;
  error?: RunError;
};

export async function recordStep(db: DbOrTx, step: StepRecord): Promise<void> {
  const error = step.error ? capError(step.error) : undefined;
  await db.insert(jobRunSteps).values({
    runId: step.runId,
    stepType: step.stepType,
    status: step.status,
    attemptNumber: step.attempt,
    durationMs: step.durationMs,
    workerId: step.workerId,
    errorMessage: error?.message,
    errorMessagePublic: error ? publicErrorMessage(error.message) : null,
    errorType: error?.type,
    errorSource: error?.source,
    errorSubType: error?.subType,
    errorSeverity: error?.severity,
  });
}
