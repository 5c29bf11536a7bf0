import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Job, JobResult, PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, type RunError } from "@/lib/db/schema";
import { createTrackedFetch, type TrackedFetch } from "@/lib/jobs/call-log";
import { getJobDefinition, type JobName } from "@/lib/jobs/catalog";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { classifyError, JobError } from "@/lib/jobs/errors";
import { recordStep, startAttempts, writeProgress, type Outcome, type Progress, type StartedAttempt } from "@/lib/jobs/lifecycle";
import { MicroBatcher } from "@/lib/jobs/micro-batch";
import { failureOutcome, isPlainEnd, outcomeOutput, settleAttempts, type SettleInput } from "@/lib/jobs/settle";
import type { JobContext, JobHandler, ProgressUpdate } from "./context";
import { EndWriter } from "./end-writer";
import { HANDLERS } from "./handlers";

export type RunnerOptions = {
  db: Db;
  boss: PgBoss;
  workerId: string;
  /** How often running runs refresh last_heartbeat (seed 003: 30 s). */
  heartbeatSeconds: number;
  /** Minimum gap between two progress writes of one run. */
  progressIntervalMs: number;
  /** How often the worker looks for cancel requests of the runs it holds. */
  cancelPollMs: number;
  /** Defaults to the catalog's handlers; tests substitute misbehaving ones. */
  handlers?: HandlerMap;
};

export type HandlerMap = { [N in JobName]: JobHandler<N> };

/**
 * A run this worker holds. Its AbortController is made only when the handler asks for a signal
 * (ctx.signal, ctx.fetch): most short handlers never do, and on a busy worker the controller and
 * its listener were a measurable share of the per-run cost.
 */
class ActiveRun {
  private controller: AbortController | null = null;
  reason: Error | null = null;

  constructor(
    readonly attempt: number,
    private readonly queueSignal: AbortSignal,
  ) {}

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /** pg-boss aborts a job's signal when it gives up on it (stop timeout, expiry): checked on each poll. */
  checkQueueSignal(): void {
    if (this.queueSignal.aborted) this.abort(new ShutdownError());
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

class CancelledError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "CancelledError";
  }
}

/** This attempt was ended elsewhere (stale sweep, restart recovery): its writes are fenced off. */
class SupersededError extends Error {
  constructor() {
    super("The attempt was ended elsewhere");
    this.name = "SupersededError";
  }
}

/** The worker is stopping and the grace period ran out: the attempt ends and is retried per policy. */
class ShutdownError extends Error {
  constructor() {
    super("The worker shut down before the run finished");
    this.name = "ShutdownError";
  }
}

const INT_MAX = 2_147_483_647;
/** Progress counters are int columns: one absurd report must not fail the run's writes. */
function clampInt(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(INT_MAX, Math.trunc(n))) : 0;
}

/**
 * A result goes into a jsonb column in a batch with other runs' results: check it serialises
 * here, so one bad value fails its own run and not the batch.
 */
function jsonSafe(result: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
  } catch (error) {
    throw new JobError(`The handler's result cannot be stored as JSON: ${(error as Error).message}`, { type: "internal", source: "handler", subType: "result_not_json", retryable: false });
  }
}

function shutdownError(): RunError {
  return { message: "The worker shut down before the run finished", type: "internal", source: "worker", subType: "worker_shutdown", severity: 3, retryable: true };
}

/** Executes delivered queue jobs as tracked run attempts; one instance per worker process. */
export class Runner {
  private readonly active = new Map<string, ActiveRun>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];

  /** Attempt ends that fall close together are written in one transaction. */
  private readonly settles: MicroBatcher<SettleInput, boolean>;

  /** Plain ends (see isPlainEnd), written in the background, many at a time. */
  private readonly ends: EndWriter;

  constructor(private readonly options: RunnerOptions) {
    this.settles = new MicroBatcher((items) => settleAttempts(options.db, options.boss, items), { maxSize: 64, delayMs: 0 });
    this.ends = new EndWriter((items) => settleAttempts(options.db, options.boss, items), { maxBatch: 64, delayMs: 20, retryAfterMs: 1000 });
  }

  start(): void {
    const { heartbeatSeconds, cancelPollMs } = this.options;
    this.timers.push(setInterval(() => void this.heartbeat().catch((e) => console.error("[worker] heartbeat failed", e)), heartbeatSeconds * 1000));
    this.timers.push(setInterval(() => void this.pollCancels().catch((e) => console.error("[worker] cancel poll failed", e)), cancelPollMs));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.ends.stop();
  }

  /** Write the ends still waiting (the worker stops). */
  flushEnds(): Promise<void> {
    return this.ends.flush();
  }

  /**
   * Let running handlers finish for up to `graceMs`; then abort the rest and wait for them to record
   * their outcome (failed or requeued), so nothing is left `running`.
   */
  async drain(graceMs: number): Promise<void> {
    const settled = () => Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([settled().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (!timedOut) return;
    for (const run of this.active.values()) run.abort(new ShutdownError());
    await settled();
  }

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /**
   * One write for every run this worker holds, however many. A run that no longer answers as this
   * worker's running attempt was ended or taken over elsewhere (swept, recovered): stop its
   * handler, so the work never runs twice at once.
   */
  private async heartbeat(): Promise<void> {
    const held = [...this.active.entries()];
    // Ended runs whose end is not written yet are still this worker's: keep them from looking lost.
    const ended = this.ends.heldRunIds();
    if (held.length === 0 && ended.length === 0) return;
    const rows = await this.options.db
      .update(jobRuns)
      .set({ lastHeartbeat: sql`now()` })
      .where(and(inArray(jobRuns.id, [...held.map(([id]) => id), ...ended]), eq(jobRuns.status, "running"), eq(jobRuns.workerId, this.options.workerId)))
      .returning({ id: jobRuns.id, attempt: jobRuns.attemptCount });
    const alive = new Map(rows.map((r) => [r.id, r.attempt]));
    for (const [id, run] of held) if (alive.get(id) !== run.attempt) run.abort(new SupersededError());
  }

  private async pollCancels(): Promise<void> {
    for (const run of this.active.values()) run.checkQueueSignal();
    const ids = this.activeRunIds();
    if (ids.length === 0) return;
    const rows = await this.options.db
      .select({ id: jobRuns.id })
      .from(jobRuns)
      .where(and(inArray(jobRuns.id, ids), isNotNull(jobRuns.cancelRequestedAt)));
    for (const row of rows) this.active.get(row.id)?.abort(new CancelledError());
  }

  /** pg-boss batch handler: the whole batch is claimed in one statement, then each job runs and settles on its own. */
  async handleBatch(jobs: Job<QueueJobData>[]): Promise<JobResult[]> {
    const deliveries = jobs.filter((job) => getJobDefinition(job.name)).map((job) => ({ runId: job.data.runId, bossJobId: job.id }));
    const claimed = startAttempts(this.options.db, deliveries, this.options.workerId).then((rows) => new Map(deliveries.map((d, i) => [d.bossJobId, rows[i] ?? null])));
    return Promise.all(
      jobs.map((job) => {
        const handling = this.handle(job, claimed.then((byJob) => byJob.get(job.id) ?? null));
        this.inFlight.add(handling);
        void handling.finally(() => this.inFlight.delete(handling));
        return handling;
      }),
    );
  }

  private async handle(job: Job<QueueJobData>, claim: Promise<StartedAttempt | null>): Promise<JobResult> {
    try {
      return { id: job.id, ...(await this.execute(job, await claim)) };
    } catch (error) {
      // Bookkeeping itself failed (database down): let pg-boss record the failure.
      console.error(`[worker] run ${job.data.runId} could not be tracked`, error);
      return { id: job.id, status: "failed", output: { message: String(error) } };
    }
  }

  private async execute(job: Job<QueueJobData>, started: StartedAttempt | null): Promise<Omit<JobResult, "id">> {
    const { db, workerId } = this.options;
    const def = getJobDefinition(job.name);
    if (!def) return { status: "failed" };
    // The run moved on without this delivery (cancelled while queued, superseded): nothing to do.
    if (!started) return { status: "completed" };
    const { runId, attempt } = started;
    const startedAt = performance.now();
    const run = new ActiveRun(attempt, job.signal);
    this.active.set(runId, run);

    const progress: Progress = { processed: 0, total: null, message: null, stage: null };
    let progressDirty = false;
    let lastWrite = 0;
    let flushTimer: NodeJS.Timeout | null = null;
    const flush = async () => {
      flushTimer = null;
      if (!progressDirty) return;
      progressDirty = false;
      lastWrite = Date.now();
      const state = await writeProgress(db, runId, attempt, { ...progress });
      if (!state) run.abort(new SupersededError());
      else if (state.cancelRequested) run.abort(new CancelledError());
    };
    const scheduleFlush = () => {
      progressDirty = true;
      if (flushTimer) return;
      const wait = Math.max(0, lastWrite + this.options.progressIntervalMs - Date.now());
      flushTimer = setTimeout(() => void flush().catch((e) => console.error("[worker] progress write failed", e)), wait);
    };

    let trackedFetch: TrackedFetch | null = null;
    const ctx: JobContext<JobName> = {
      runId,
      attempt,
      payload: {} as never,
      projectId: started.projectId,
      teamId: started.teamId,
      resource: started.resourceType && started.resourceId ? { type: started.resourceType, id: started.resourceId } : null,
      db,
      get signal() {
        return run.signal;
      },
      get fetch() {
        return (trackedFetch ??= createTrackedFetch({ db, runId, attempt, signal: run.signal }));
      },
      isCancelled: () => run.reason instanceof CancelledError,
      progress: (update: ProgressUpdate) => {
        progress.processed = clampInt(update.processed);
        if (update.total !== undefined) progress.total = update.total === null ? null : clampInt(update.total);
        if (update.message !== undefined) progress.message = update.message;
        scheduleFlush();
      },
      stage: (name: string) => {
        progress.stage = name;
        scheduleFlush();
      },
      step: async (name, fn) => {
        ctx.stage(name);
        const t0 = performance.now();
        try {
          const value = await fn();
          await recordStep(db, { runId, attempt, stepType: name, status: "completed", durationMs: Math.round(performance.now() - t0), workerId });
          return value;
        } catch (error) {
          await recordStep(db, { runId, attempt, stepType: name, status: "failed", durationMs: Math.round(performance.now() - t0), workerId, error: classifyError(error) });
          throw error;
        }
      },
    };

    let outcome: Outcome;
    try {
      if (started.cancelRequested) run.abort(new CancelledError());
      if (ctx.isCancelled()) outcome = { status: "cancelled" };
      else {
        ctx.payload = def.payload.parse(started.payload) as never;
        const handler = (this.options.handlers ?? HANDLERS)[def.name as JobName] as JobHandler<JobName>;
        const result = await handler(ctx);
        run.checkQueueSignal();
        if (ctx.isCancelled()) outcome = { status: "cancelled" };
        // A handler that returned early because of a shutdown did not finish its work.
        else if (run.reason instanceof ShutdownError) throw run.reason;
        else outcome = { status: "completed", result: jsonSafe(result) };
      }
    } catch (error) {
      run.checkQueueSignal();
      const reason = run.reason instanceof ShutdownError ? run.reason : error;
      outcome = ctx.isCancelled()
        ? { status: "cancelled" }
        : failureOutcome(def.name, started.maxAttempts, attempt, reason instanceof ShutdownError ? shutdownError() : classifyError(reason));
    } finally {
      if (flushTimer) clearTimeout(flushTimer);
      this.active.delete(runId);
    }

    const durationMs = Math.round(performance.now() - startedAt);
    const end: SettleInput = { runId, jobType: def.name, attempt, outcome, progress, durationMs, notify: started.notify };
    const status = outcome.status === "completed" || outcome.status === "cancelled" ? "completed" : "failed";
    if (isPlainEnd(end)) {
      this.ends.add(end);
      return { status, output: outcomeOutput(outcome) };
    }
    // Ends that send mail or schedule another attempt are written (in one transaction) before
    // pg-boss settles the job.
    await this.settles.add(end);
    return { status };
  }

}
