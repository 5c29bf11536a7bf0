import type { Db } from "@/lib/db/client";
import type { JobContext, ProgressUpdate, TrackedFetch } from "@/lib/jobs/define";
import { classifyError } from "@/lib/jobs/errors";
import { recordStep, writeProgress, type Progress, type StartedAttempt } from "@/lib/jobs/lifecycle";
import { createTrackedFetch } from "@/lib/jobs/worker/call-log";
import type { OutboundPolicy } from "@/lib/jobs/worker/outbound-guard";

export class CancelledError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "CancelledError";
  }
}

/** This attempt was ended elsewhere (stale sweep, restart recovery): its writes are fenced off. */
export class SupersededError extends Error {
  constructor() {
    super("The attempt was ended elsewhere");
    this.name = "SupersededError";
  }
}

/** The worker is stopping and the grace period ran out: the attempt ends and is retried per policy. */
export class ShutdownError extends Error {
  constructor() {
    super("The worker shut down before the run finished");
    this.name = "ShutdownError";
  }
}

/** The attempt ran past its job type's timeoutSeconds: it fails as "timeout" and is retried per policy. */
export class TimeoutError extends Error {
  constructor(readonly seconds: number) {
    super(`The attempt ran longer than its ${seconds} s timeout`);
    this.name = "TimeoutError";
  }
}

const INT_MAX = 2_147_483_647;
/** Progress counters are int columns: one absurd report must not fail the run's writes. */
function clampInt(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(INT_MAX, Math.trunc(n))) : 0;
}

export type ActiveRunSettings = {
  db: Db;
  workerId: string;
  progressIntervalMs: number;
  /** Which hosts ctx.fetch may reach; by default OUTBOUND_ALLOW_HOSTS's policy. */
  outbound?: OutboundPolicy;
};

type Methods = Pick<JobContext<unknown>, "isCancelled" | "progress" | "stage" | "step">;

/**
 * A run attempt this worker holds: why it must stop, if it must (cancel, superseded, shutdown),
 * and the context its handler gets. One is made per run, so it allocates nothing a handler does
 * not ask for: the AbortController (ctx.signal, ctx.fetch) and the handler's methods are made on
 * first use. On a busy worker the per-run closures were a measurable share of the loop, and under
 * tsx every named closure also costs a defineProperty.
 */
export class ActiveRun implements JobContext<unknown> {
  readonly runId: string;
  readonly attempt: number;
  readonly projectId: string | null;
  readonly teamId: string | null;
  readonly resource: { type: string; id: string } | null;
  readonly db: Db;
  payload: unknown = {};
  reason: Error | null = null;
  /** What was last reported; written at most every progressIntervalMs, and with the run's end. */
  readonly reported: Progress = { processed: 0, total: null, message: null, stage: null };

  private controller: AbortController | null = null;
  private trackedFetch: TrackedFetch | null = null;
  private readonly methods: Partial<Methods> = {};
  private dirty = false;
  private lastWrite = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    started: StartedAttempt,
    private queueSignal: AbortSignal,
    private readonly settings: ActiveRunSettings,
  ) {
    this.runId = started.runId;
    this.attempt = started.attempt;
    this.projectId = started.projectId;
    this.teamId = started.teamId;
    this.resource = started.resourceType && started.resourceId ? { type: started.resourceType, id: started.resourceId } : null;
    this.db = settings.db;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /** pg-boss aborts a job's signal when it gives up on it (stop timeout, expiry): checked on each poll. */
  checkQueueSignal(): void {
    if (this.queueSignal.aborted) this.abort(new ShutdownError());
  }

  /** Detached from its pg-boss batch: pg-boss's signal no longer speaks for it (the runner's stop does). */
  releaseQueueSignal(): void {
    this.queueSignal = new AbortController().signal;
  }

  get cancelled(): boolean {
    return this.reason instanceof CancelledError;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get fetch(): TrackedFetch {
    return (this.trackedFetch ??= createTrackedFetch({ db: this.db, runId: this.runId, attempt: this.attempt, signal: this.signal, outbound: this.settings.outbound }));
  }

  // Handlers may pass these around (`items.forEach(ctx.progress)`): each is bound to its run.
  get isCancelled(): Methods["isCancelled"] {
    return (this.methods.isCancelled ??= () => this.cancelled);
  }

  get progress(): Methods["progress"] {
    return (this.methods.progress ??= (update) => this.report(update));
  }

  get stage(): Methods["stage"] {
    return (this.methods.stage ??= (name) => this.setStage(name));
  }

  get step(): Methods["step"] {
    return (this.methods.step ??= (name, fn) => this.runStep(name, fn));
  }

  /** The attempt ended: no more progress writes (its end carries the last report). */
  endReporting(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private report(update: ProgressUpdate): void {
    this.reported.processed = clampInt(update.processed);
    if (update.total !== undefined) this.reported.total = update.total === null ? null : clampInt(update.total);
    if (update.message !== undefined) this.reported.message = update.message;
    this.scheduleFlush();
  }

  private setStage(name: string): void {
    this.reported.stage = name;
    this.scheduleFlush();
  }

  private async runStep<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.setStage(name);
    const t0 = performance.now();
    const step = { runId: this.runId, attempt: this.attempt, stepType: name, workerId: this.settings.workerId };
    try {
      const value = await fn();
      await recordStep(this.db, { ...step, status: "completed", durationMs: Math.round(performance.now() - t0) });
      return value;
    } catch (error) {
      await recordStep(this.db, { ...step, status: "failed", durationMs: Math.round(performance.now() - t0), error: classifyError(error) });
      throw error;
    }
  }

  /** Progress writes are coalesced: at most one per progressIntervalMs, however often a handler reports. */
  private scheduleFlush(): void {
    this.dirty = true;
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastWrite + this.settings.progressIntervalMs - Date.now());
    this.flushTimer = setTimeout(() => void this.flush().catch((e) => console.error("[worker] progress write failed", e)), wait);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    const state = await writeProgress(this.db, this.runId, this.attempt, { ...this.reported });
    if (!state) this.abort(new SupersededError());
    else if (state.cancelRequested) this.abort(new CancelledError());
  }
}
