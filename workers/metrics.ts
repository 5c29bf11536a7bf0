import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AttemptEnd, RunObserver } from "./run-observer";

/** Attempt durations (seconds): from sub-second handlers to hour-long imports. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Claim statement durations (seconds). */
const CLAIM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The run's status an ended attempt leads to; "retrying" for a failed attempt with another to come. */
const endLabel = (status: AttemptEnd["status"]) => (status === "pending" ? "retrying" : status);

/**
 * One worker process's metrics (its own registry: tests run several workers in one process),
 * served on its health port as /metrics. Counters count attempts: a run retried twice starts three.
 */
export class WorkerMetrics implements RunObserver {
  readonly registry = new Registry();
  private readonly started: Counter<"job_type">;
  private readonly ended: Counter<"job_type" | "status">;
  private readonly duration: Histogram<"job_type" | "status">;
  private readonly claim: Histogram;
  private lastClaimAt: number | null = null;

  constructor(activeRuns: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "runboard_worker_" });
    this.started = new Counter({ name: "runboard_worker_runs_started_total", help: "Attempts this worker started, per job type.", labelNames: ["job_type"], registers });
    this.ended = new Counter({
      name: "runboard_worker_runs_ended_total",
      help: "Attempts this worker ended, per job type and the status they led to (completed, failed, dead_letter, cancelled, retrying).",
      labelNames: ["job_type", "status"],
      registers,
    });
    this.duration = new Histogram({
      name: "runboard_worker_run_duration_seconds",
      help: "Attempt duration (handler start to end), per job type and status.",
      labelNames: ["job_type", "status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.claim = new Histogram({
      name: "runboard_worker_claim_duration_seconds",
      help: "Time to claim a delivered batch (the one UPDATE that starts its attempts).",
      buckets: CLAIM_BUCKETS,
      registers,
    });
    new Gauge({
      name: "runboard_worker_active_runs",
      help: "Attempts running in this worker now.",
      registers,
      collect() {
        this.set(activeRuns());
      },
    });
  }

  claimed(seconds: number): void {
    this.claim.observe(seconds);
    this.lastClaimAt = Date.now();
  }

  attemptStarted(jobType: string): void {
    this.started.inc({ job_type: jobType });
  }

  attemptEnded(end: AttemptEnd): void {
    const labels = { job_type: end.jobType, status: endLabel(end.status) };
    this.ended.inc(labels);
    this.duration.observe(labels, end.durationMs / 1000);
  }

  /** Seconds since this worker last claimed a batch (null: never). */
  lastClaimAgeSeconds(): number | null {
    return this.lastClaimAt === null ? null : (Date.now() - this.lastClaimAt) / 1000;
  }
}
