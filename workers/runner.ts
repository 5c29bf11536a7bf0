import type { Job, JobResult, PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import type { RunError } from "@/lib/db/schema";
import { getJobDefinition, type JobName, type JobPayload } from "@/lib/jobs/catalog";
import type { JobDefinition, JobHandler } from "@/lib/jobs/define";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { classifyError, isTransientDbError, JobError } from "@/lib/jobs/errors";
import { attemptsClaimedBy, startAttempts, type Outcome, type StartedAttempt } from "@/lib/jobs/lifecycle";
import { cancelRequestedAmong, heartbeatRuns } from "@/lib/jobs/run-store";
import { failureOutcome, outcomeOutput, settleAttempts, type SettleInput } from "@/lib/jobs/settle";
import type { OutboundPolicy } from "@/lib/jobs/worker/outbound-guard";
import { ActiveRun, CancelledError, ShutdownError, SupersededError, TimeoutError, type ActiveRunSettings } from "./active-run";
import { EndWriter, retryDelayMs } from "./end-writer";
import type { RunObserver } from "./run-observer";
import type { QueueControls } from "./queue-controls";

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
  /**
   * A fetched batch hands its runs still going after this long back to pg-boss as detached (see
   * handleBatch), so one long run does not hold its fetch loop.
   */
  detachAfterMs: number;
  /** Detached runs of one job type this worker may hold at once (besides the batches in its loops). */
  detachedCapacity: number;
  /** Handlers used instead of the definitions' own (tests substitute misbehaving ones). */
  handlers?: HandlerMap;
  /** Metrics and error reports (workers/ops.ts). */
  observer?: RunObserver;
  /** Which hosts handlers' ctx.fetch may reach; by default OUTBOUND_ALLOW_HOSTS's policy. */
  outbound?: OutboundPolicy;
  /** Timeouts (seconds, null: none) used instead of the definitions' timeoutSeconds (tests shorten them). */
  timeouts?: { [N in JobName]?: number | null };
  /** Pause and concurrency limits: claims of a controlled job type go through its gate. */
  queueControls?: Pick<QueueControls, "governs" | "claim" | "ended">;
};

/** pg-boss's output for a job whose run was detached from its batch: job_runs has its outcome. */
export const DETACHED_OUTPUT = { runboardDetached: true } as const;

/** One delivered job of a batch: its result once known, and whether it left the batch still running. */
type Delivery = { job: Job<QueueJobData>; result: JobResult | null; detached: boolean; run: ActiveRun | null };

const NEVER_ABORTED = new AbortController().signal;

/** Handlers by job type that replace the ones the definitions load. */
export type HandlerMap = { [N in JobName]?: JobHandler<JobPayload<N>> };

/** What the runner calls: the payload was parsed with the type's own schema just before. */
type LoadedHandler = JobHandler<unknown>;

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

function timeoutError(reason: TimeoutError): RunError {
  return { message: `${reason.message}; it was stopped and is retried if its retry policy allows`, type: "timeout", source: "worker", subType: "run_timeout", severity: 3, retryable: true };
}

/**
 * After a timeout aborts ctx.signal, how long the handler has to stop on its own; one that ignores
 * the signal is then left behind (its progress writes are fenced off once the attempt has ended).
 */
export const TIMEOUT_GRACE_MS = 5_000;

/** Executes delivered queue jobs as tracked run attempts; one instance per worker process. */
export class Runner {
  private readonly active = new Map<string, ActiveRun>();
  /** Runs of batches whose claim is under way. */
  private readonly claiming = new Set<string>();
  /** Batches pg-boss waits for, and detached runs: what a stop waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Detached runs per job type, and a wake-up for batches waiting for room to detach theirs. */
  private readonly detached = new Map<string, number>();
  private readonly detachWaiters = new Map<string, (() => void)[]>();
  /** How each detached run tells that it ended. */
  private readonly endings = new Map<Delivery, () => void>();
  private timers: NodeJS.Timeout[] = [];

  /** Attempt ends, written in the background, many at a time, retried until written. */
  private readonly ends: EndWriter;

  private readonly runSettings: ActiveRunSettings;
  private stopping = false;
  private heartbeatRetry: NodeJS.Timeout | null = null;
  private cancelPollFailing = false;
  /** Each type's handler module is imported once, on its first run; later runs pay a map lookup. */
  private readonly handlers = new Map<string, LoadedHandler | Promise<LoadedHandler>>();

  constructor(private readonly options: RunnerOptions) {
    this.runSettings = { db: options.db, workerId: options.workerId, progressIntervalMs: options.progressIntervalMs, outbound: options.outbound };
    const controls = options.queueControls;
    this.ends = new EndWriter((items) => settleAttempts(options.db, options.boss, items).finally(() => controls?.ended(items.map((i) => i.jobType))), {
      maxBatch: 64,
      delayMs: 20,
      retryBaseMs: 250,
      retryMaxMs: 5000,
      maxRefusals: 3,
      maxWaiting: 10_000,
    });
  }

  start(): void {
    const { heartbeatSeconds, cancelPollMs } = this.options;
    this.timers.push(setInterval(() => this.beat(), heartbeatSeconds * 1000));
    this.timers.push(setInterval(() => void this.pollCancels().then(() => (this.cancelPollFailing = false), (e) => this.cancelPollFailed(e)), cancelPollMs));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.heartbeatRetry) clearTimeout(this.heartbeatRetry);
    this.heartbeatRetry = null;
    this.ends.stop();
  }

  /**
   * A heartbeat that fails (the database is away) is tried again every second until it lands, so
   * the runs this worker holds look alive again as soon as the database is back, not up to a whole
   * interval later.
   */
  private beat(): void {
    if (this.heartbeatRetry) clearTimeout(this.heartbeatRetry);
    this.heartbeatRetry = null;
    void this.heartbeat().catch((error: unknown) => {
      if (this.timers.length === 0) return;
      console.error(`[worker] heartbeat failed; trying again in 1 s (${error instanceof Error ? error.message : String(error)})`);
      this.heartbeatRetry = setTimeout(() => this.beat(), Math.min(1000, this.options.heartbeatSeconds * 1000));
      this.heartbeatRetry.unref();
    });
  }

  /** Once per streak of failures: the poll runs every CANCEL_POLL_MS, an outage would flood the log. */
  private cancelPollFailed(error: unknown): void {
    if (!this.cancelPollFailing) console.error("[worker] cancel poll failed (logged once until it works again)", error);
    this.cancelPollFailing = true;
  }

  /**
   * Write the ends still waiting (the worker stops), for up to `timeoutMs`; what is left then is
   * finished by recovery from pg-boss's job output. Returns how many were left.
   */
  async flushEnds(timeoutMs: number): Promise<number> {
    const left = await this.ends.flush(Date.now() + timeoutMs);
    if (left > 0) console.error(`[worker] ${left} run end(s) could not be written before shutdown; recovery will finish them from pg-boss's job output`);
    return left;
  }

  /**
   * Let running handlers finish for up to `graceMs`; then abort the rest and wait for them to record
   * their outcome (failed or requeued), so nothing is left `running`.
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    // A batch that detaches its runs settles before they do: wait until nothing is left.
    const settled = async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    };
    const timedOut = await Promise.race([settled().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (!timedOut) return;
    for (const run of this.active.values()) run.abort(new ShutdownError());
    await settled();
  }

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /** Every run this worker still answers for: being claimed, running, or ended with its end not yet written. */
  heldRunIds(): string[] {
    return [...this.claiming, ...this.active.keys(), ...this.ends.heldRunIds()];
  }

  detachedCount(jobType: string): number {
    return this.detached.get(jobType) ?? 0;
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
    const rows = await heartbeatRuns(this.options.db, [...held.map(([id]) => id), ...ended], this.options.workerId);
    const alive = new Map(rows.map((r) => [r.id, r.attempt]));
    for (const [id, run] of held) if (alive.get(id) !== run.attempt) run.abort(new SupersededError());
  }

  private async pollCancels(): Promise<void> {
    for (const run of this.active.values()) run.checkQueueSignal();
    const ids = this.activeRunIds();
    if (ids.length === 0) return;
    const rows = await cancelRequestedAmong(this.options.db, ids);
    for (const id of rows) this.active.get(id)?.abort(new CancelledError());
  }

  /**
   * pg-boss batch handler: the whole batch is claimed in one statement, then each job runs and
   * settles on its own. pg-boss fetches the next batch only once this returns, so a batch does not
   * wait for its slowest run: runs still going after detachAfterMs are detached (pg-boss records
   * their job as completed with DETACHED_OUTPUT, and the run writes its own end in job_runs when it
   * ends), as long as the job type's detached runs stay within detachedCapacity; else the batch
   * waits until there is room.
   */
  handleBatch(jobs: Job<QueueJobData>[]): Promise<JobResult[]> {
    const batch = this.runBatch(jobs);
    this.inFlight.add(batch);
    void batch.finally(() => this.inFlight.delete(batch));
    return batch;
  }

  private async runBatch(jobs: Job<QueueJobData>[]): Promise<JobResult[]> {
    const startedAt = performance.now();
    const deliveries = jobs.filter((job) => getJobDefinition(job.name)).map((job) => ({ runId: job.data.runId, bossJobId: job.id }));
    let started: Map<string, StartedAttempt | null>;
    // Held from before the claim is sent until the runs are active (handle registers them
    // synchronously), so the own-orphan sweep never takes a claim whose answer is still on its way.
    for (const d of deliveries) this.claiming.add(d.runId);
    let all: Promise<unknown>;
    const batch: Delivery[] = jobs.map((job) => ({ job, result: null, detached: false, run: null }));
    try {
      const rows = await this.claim(jobs, deliveries);
      started = new Map(deliveries.map((d, i) => [d.bossJobId, rows[i] ?? null]));
      all = Promise.all(batch.map((d) => this.handle(d, started.get(d.job.id) ?? null)));
    } catch (error) {
      return jobs.map((job) => this.untracked(job, error));
    } finally {
      for (const d of deliveries) this.claiming.delete(d.runId);
    }
    if (batch.every((d) => d.result)) await all;
    else await this.untilDoneOrDetached(batch, all, startedAt);
    // Memory stays bounded while ends cannot be written: no more work until there is room.
    await this.ends.room();
    return batch.map((d) => d.result ?? { id: d.job.id, status: "completed", output: DETACHED_OUTPUT });
  }

  private async untilDoneOrDetached(batch: Delivery[], all: Promise<unknown>, startedAt: number): Promise<void> {
    let done = false;
    void all.then(() => (done = true));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, this.options.detachAfterMs - (performance.now() - startedAt)))));
    await Promise.race([all, deadline]);
    clearTimeout(timer);
    const jobType = batch[0]!.job.name;
    while (!done) {
      const running = batch.filter((d) => !d.result);
      if (this.detachedCount(jobType) + running.length <= this.options.detachedCapacity) {
        for (const d of running) this.detach(d, jobType);
        return;
      }
      await Promise.race([all, new Promise<void>((resolve) => this.detachWaiters.set(jobType, [...(this.detachWaiters.get(jobType) ?? []), resolve]))]);
    }
  }

  private detach(delivery: Delivery, jobType: string): void {
    delivery.detached = true;
    delivery.run?.releaseQueueSignal();
    this.detached.set(jobType, this.detachedCount(jobType) + 1);
    const ended = new Promise<void>((resolve) => this.endings.set(delivery, resolve)).finally(() => {
      this.inFlight.delete(ended);
      this.detached.set(jobType, this.detachedCount(jobType) - 1);
      const waiters = this.detachWaiters.get(jobType) ?? [];
      this.detachWaiters.delete(jobType);
      for (const wake of waiters) wake();
    });
    this.inFlight.add(ended);
  }

  /**
   * Claim a delivered batch. A claim that fails for want of the database (a dead pooled connection,
   * a restart) is tried again with a short capped backoff until it lands, so the runs start within
   * moments of the database coming back instead of waiting, pending, for the orphan sweep. Given up
   * only when the worker stops, pg-boss gives up on the jobs, or the database refuses the claim
   * itself three times: then the jobs fail in pg-boss and the orphan sweep requeues their runs.
   */
  private async claim(jobs: Job<QueueJobData>[], deliveries: { runId: string; bossJobId: string }[]): Promise<(StartedAttempt | null)[]> {
    for (let tries = 1; ; tries++) {
      try {
        const claimStartedAt = performance.now();
        const gate = this.options.queueControls;
        const jobType = jobs[0]!.name;
        const rows = gate?.governs(jobType) ? await gate.claim(jobType, deliveries, this.options.workerId) : await startAttempts(this.options.db, deliveries, this.options.workerId);
        this.options.observer?.claimed((performance.now() - claimStartedAt) / 1000, rows.filter(Boolean).length);
        return tries === 1 ? rows : await this.alreadyClaimed(deliveries, rows);
      } catch (error) {
        const giveUp = this.stopping || jobs.every((job) => job.signal.aborted) || (!isTransientDbError(error) && tries >= 3);
        if (giveUp) throw error;
        const delay = retryDelayMs(tries, 100, 2000);
        console.error(`[worker] claiming ${deliveries.length} run(s) failed (${error instanceof Error ? error.message : String(error)}); trying again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * After a failed claim, the one that failed may have committed all the same (the connection
   * broke after the commit): those runs are already this worker's, under these very queue jobs.
   */
  private async alreadyClaimed(deliveries: { runId: string; bossJobId: string }[], rows: (StartedAttempt | null)[]): Promise<(StartedAttempt | null)[]> {
    const missing = deliveries.filter((_, i) => !rows[i]);
    if (missing.length === 0) return rows;
    const mine = new Map((await attemptsClaimedBy(this.options.db, missing, this.options.workerId)).map((a) => [a.runId, a]));
    return deliveries.map((d, i) => rows[i] ?? mine.get(d.runId) ?? null);
  }

  /** Bookkeeping itself failed (database down): let pg-boss record the failure. */
  private untracked(job: Job<QueueJobData>, error: unknown): JobResult {
    console.error(`[worker] run ${job.data.runId} could not be tracked`, error);
    return { id: job.id, status: "failed", output: { message: String(error) } };
  }

  /** Runs one delivery; its result is set on it the moment it is known (see detach). */
  private async handle(delivery: Delivery, started: StartedAttempt | null): Promise<void> {
    try {
      await this.execute(delivery, started);
    } catch (error) {
      delivery.result = this.untracked(delivery.job, error);
    } finally {
      this.endings.get(delivery)?.();
      this.endings.delete(delivery);
    }
  }

  /**
   * The handler's work, bounded by the type's timeout: past it the run's signal is aborted with a
   * TimeoutError; a handler still going TIMEOUT_GRACE_MS later is no longer waited for.
   */
  private async withTimeout<T>(run: ActiveRun, work: Promise<T>, seconds: number): Promise<T> {
    // Once left behind, the handler's own failure must not surface as an unhandled rejection.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = new TimeoutError(seconds);
        run.abort(reason);
        timer = setTimeout(() => reject(reason), TIMEOUT_GRACE_MS);
      }, seconds * 1000);
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failed import is not cached: the next run tries again (and fails as its own run meanwhile). */
  private loadHandler(def: JobDefinition): Promise<LoadedHandler> {
    const override = this.options.handlers?.[def.name as JobName] as LoadedHandler | undefined;
    const loading = override
      ? Promise.resolve(override)
      : def.handler().then((mod) => {
          if (typeof mod.default !== "function") throw new Error(`The handler module of ${def.name} has no default export function`);
          return mod.default as LoadedHandler;
        });
    this.handlers.set(def.name, loading);
    loading.then(
      (handler) => this.handlers.set(def.name, handler),
      () => this.handlers.delete(def.name),
    );
    return loading;
  }

  private async execute(delivery: Delivery, started: StartedAttempt | null): Promise<void> {
    const { job } = delivery;
    const def = getJobDefinition(job.name);
    if (!def) return void (delivery.result = { id: job.id, status: "failed" });
    // The run moved on without this delivery (cancelled while queued, superseded): nothing to do.
    if (!started) return void (delivery.result = { id: job.id, status: "completed" });
    const startedAt = performance.now();
    this.options.observer?.attemptStarted(def.name);
    const run = new ActiveRun(started, delivery.detached ? NEVER_ABORTED : job.signal, this.runSettings);
    delivery.run = run;
    this.active.set(run.runId, run);

    let outcome: Outcome;
    try {
      if (started.cancelRequested) run.abort(new CancelledError());
      if (run.cancelled) outcome = { status: "cancelled" };
      else {
        run.payload = def.payload.parse(started.payload) as never;
        const loaded = this.handlers.get(def.name) ?? this.loadHandler(def);
        const handler = typeof loaded === "function" ? loaded : await loaded;
        const timeoutSeconds = this.options.timeouts && def.name in this.options.timeouts ? this.options.timeouts[def.name as JobName] : def.timeoutSeconds;
        const result = await (timeoutSeconds ? this.withTimeout(run, handler(run), timeoutSeconds) : handler(run));
        run.checkQueueSignal();
        if (run.cancelled) outcome = { status: "cancelled" };
        // A handler that returned early because of a shutdown or its timeout did not finish its work.
        else if (run.reason instanceof ShutdownError || run.reason instanceof TimeoutError) throw run.reason;
        else outcome = { status: "completed", result: jsonSafe(result) };
      }
    } catch (error) {
      run.checkQueueSignal();
      const reason = run.reason instanceof ShutdownError || run.reason instanceof TimeoutError ? run.reason : error;
      const runError = reason instanceof ShutdownError ? shutdownError() : reason instanceof TimeoutError ? timeoutError(reason) : classifyError(reason);
      outcome = run.cancelled ? { status: "cancelled" } : failureOutcome(def.name, started.maxAttempts, run.attempt, runError);
    } finally {
      run.endReporting();
      this.active.delete(run.runId);
    }

    const durationMs = Math.round(performance.now() - startedAt);
    this.options.observer?.attemptEnded({ runId: run.runId, jobType: def.name, attempt: run.attempt, projectId: started.projectId, status: outcome.status, durationMs, error: "error" in outcome ? outcome.error : null });
    const end: SettleInput = { runId: run.runId, jobType: def.name, attempt: run.attempt, outcome, progress: run.reported, durationMs, notify: started.notify, teamId: started.teamId };
    // Written in the background, retried until written. Still in its batch, pg-boss keeps the
    // outcome as the job's output meanwhile, so recovery can write it if this process dies first
    // (set in the same turn as the check, so a detach cannot come between).
    this.ends.add(end);
    if (!delivery.detached) {
      delivery.result = { id: job.id, status: outcome.status === "completed" || outcome.status === "cancelled" ? "completed" : "failed", output: outcomeOutput(outcome) };
    }
  }
}
