import type { PgBoss } from "pg-boss";
import { flushSentry, reportRunFailure, sentryEnabled } from "@/lib/ops/sentry";
import { startHealthServer, type HealthReport, type HealthServer } from "./health-server";
import type { WorkerLiveness } from "./liveness";
import { WorkerMetrics } from "./metrics";
import type { AttemptEnd, RunObserver } from "./run-observer";

export type OpsSettings = {
  /** WORKER_HEALTH_PORT: null (the default) serves no health endpoint and keeps no metrics; 0 picks a free port. */
  healthPort: number | null;
  /** WORKER_HEALTH_HOST: 0.0.0.0 by default, so an orchestrator's probe reaches it. */
  healthHost: string;
  pollSeconds: number;
  /** How long an idle fetch loop sleeps between fetches while NOTIFY works. */
  idlePollSeconds: number;
  /** A fetch loop holding no jobs that has not turned for this long is stuck: max(30 s, 10 polls) by default. */
  stuckAfterSeconds?: number;
};

type Phase = "starting" | "running" | "stopping";

/**
 * A worker's operations side: metrics, the health server and error reports to Sentry (when
 * SENTRY_DSN is set). start-worker creates it before the runner (which reports to `observer`),
 * serves it once pg-boss and the registry ping are up, and closes it last when stopping.
 */
export class WorkerOps {
  readonly metrics: WorkerMetrics | null;
  readonly observer: RunObserver;
  private phase: Phase = "starting";
  private server: HealthServer | null = null;

  constructor(
    private readonly settings: OpsSettings,
    activeRuns: () => number,
  ) {
    this.metrics = settings.healthPort === null ? null : new WorkerMetrics(activeRuns);
    const metrics = this.metrics;
    const reportFailures = sentryEnabled();
    this.observer = {
      claimed: (seconds) => metrics?.claimed(seconds),
      attemptStarted: (jobType) => metrics?.attemptStarted(jobType),
      attemptEnded: (end) => {
        metrics?.attemptEnded(end);
        if (reportFailures && isHandlerFailure(end)) void reportRunFailure({ ...end, error: end.error });
      },
    };
  }

  /** pg-boss is started and the worker registered: answer probes. Returns the health port (null: none). */
  async serve(boss: PgBoss, liveness: WorkerLiveness): Promise<number | null> {
    this.phase = "running";
    if (this.settings.healthPort === null || !this.metrics) return null;
    const metrics = this.metrics;
    this.server = await startHealthServer({
      port: this.settings.healthPort,
      host: this.settings.healthHost,
      report: () => this.report(boss, liveness, metrics),
      metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
    });
    return this.server.port;
  }

  /** The worker stops taking work: not ready any more, still live while it drains. */
  stopping(): void {
    this.phase = "stopping";
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = null;
    await flushSentry();
  }

  /**
   * Live unless a fetch loop is stuck: a loop holding no jobs has fetched (or failed to: Postgres
   * away is not a reason to restart) within max(30 s, 10 polls), and never sooner than two of its
   * idle sleeps. Ready when running, the registry ping lands, and it is live.
   */
  private report(boss: PgBoss, liveness: WorkerLiveness, metrics: WorkerMetrics): HealthReport {
    const now = Date.now();
    const staleMs = Math.max(this.settings.stuckAfterSeconds ?? Math.max(30, 10 * this.settings.pollSeconds), 2 * this.settings.idlePollSeconds) * 1000;
    const loops = boss.getWipData();
    const lastTurn = (w: (typeof loops)[number]) => Math.max(w.lastFetchedOn ?? 0, w.lastErrorOn ?? 0, w.createdOn);
    const stale = loops.filter((w) => w.state === "active" && w.count === 0 && now - lastTurn(w) > staleMs).length;
    const newestTurn = loops.length ? Math.max(...loops.map(lastTurn)) : null;
    const pingOk = liveness.healthySeconds() > 0;
    const live = stale === 0;
    const ready = this.phase === "running" && pingOk && live;
    const round = (s: number | null) => (s === null ? null : Math.round(s * 10) / 10);
    return {
      live,
      ready,
      body: {
        status: ready ? "ready" : live ? "not_ready" : "stuck",
        phase: this.phase,
        registryPing: pingOk ? "ok" : "failing",
        claimLoops: { total: loops.length, stale, lastActivitySecondsAgo: round(newestTurn === null ? null : (now - newestTurn) / 1000) },
        lastClaimSecondsAgo: round(metrics.lastClaimAgeSeconds()),
      },
    };
  }
}

/** A failed attempt the handler is answerable for: not one cut short by the worker's own shutdown. */
function isHandlerFailure(end: AttemptEnd): end is AttemptEnd & { error: NonNullable<AttemptEnd["error"]> } {
  return end.error !== null && (end.status === "failed" || end.status === "dead_letter" || end.status === "pending") && end.error.subType !== "worker_shutdown";
}
