import { hostname } from "node:os";
import { envNumber, staleAfterSeconds } from "@/lib/config";
import type { JobDefinition } from "@/lib/jobs/define";
import { checkServable } from "@/lib/jobs/registry";
import { outboundPolicy } from "@/lib/jobs/worker/outbound-guard";
import { startWorker as startEngine, type WorkerSettings } from "./start-worker";

// `runboard/worker`: the entry a Node service imports to host its own job types' handlers against
// Runboard's Postgres (docs/external-workers.md). Bundled to dist/worker.mjs
// (scripts/lib/worker-bundle.ts); its types are workers/public-api.d.ts. Runboard's own worker
// (workers/index.ts) starts through here too, so there is one way a worker starts.

export { defineJob } from "@/lib/jobs/define";
export type { JobContext, JobDefinition, JobHandler, JobScope, Overlap, ProgressUpdate, RetryPolicy, TrackedFetch, TrackedFetchOptions } from "@/lib/jobs/define";
export { resourceField } from "@/lib/jobs/registry";

/** Any definition made with defineJob, whatever its payload (a JobDefinition<P> is not a JobDefinition<ZodType>). */
export type ServableJob = Omit<JobDefinition, "resource" | "handler"> & {
  resource?: unknown;
  handler: () => Promise<{ default: (ctx: never) => Promise<Record<string, unknown>> }>;
};

export type StartWorkerOptions = {
  /** The job types this worker serves: exactly these. */
  jobs: readonly ServableJob[];
  databaseUrl: string;
  /** For people (Workers page, step history); WORKER_NAME or the host name by default. */
  name?: string;
  /** What the jobs page says registered these types; the name by default. */
  source?: string;
  batchSize?: number;
  concurrency?: number;
  dbPool?: number;
  heartbeatSeconds?: number;
  pollSeconds?: number;
  shutdownGraceMs?: number;
  /** Serve /livez, /readyz and /metrics on this port (WORKER_HEALTH_PORT; none by default). */
  healthPort?: number | null;
  healthHost?: string;
  /** Serve only these of `jobs` (a comma list; WORKER_JOB_TYPES by default; unset or empty: all). */
  jobTypes?: string;
  /**
   * Stop gracefully on SIGTERM/SIGINT and on a stop asked for from the Workers page, then exit the
   * process (a service with its own shutdown leaves it off and calls stop()).
   */
  handleSignals?: boolean;
};

export type RunboardWorker = { workerId: string; jobTypes: string[]; healthPort: number | null; stop: () => Promise<void> };

/** Start a worker serving `jobs`: register them, then consume their queues until stop(). */
export async function startWorker(options: StartWorkerOptions): Promise<RunboardWorker> {
  const jobs = options.jobs as unknown as readonly JobDefinition[];
  if (jobs.length === 0) throw new Error("startWorker needs at least one job type in `jobs`.");
  if (!options.databaseUrl) throw new Error("startWorker needs `databaseUrl`: Runboard's Postgres.");
  checkServable(jobs);
  // A mistyped OUTBOUND_ALLOW_HOSTS stops the worker here, not the first run that calls out.
  const outbound = outboundPolicy();
  if (outbound.allow.length > 0) console.log(`[worker] outbound calls may also reach: ${process.env.OUTBOUND_ALLOW_HOSTS}`);

  const heartbeatSeconds = options.heartbeatSeconds ?? envNumber("HEARTBEAT_SECONDS", 30);
  const workerName = options.name ?? process.env.WORKER_NAME ?? hostname();
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${why}: finishing running jobs, then stopping`);
    await worker.stop();
    process.exit(0);
  };
  const settings: WorkerSettings = {
    url: options.databaseUrl,
    jobs,
    jobTypes: options.jobTypes ?? process.env.WORKER_JOB_TYPES,
    onStopRequested: options.handleSignals ? () => void shutdown("stop requested from the Workers page") : undefined,
    source: options.source ?? workerName,
    workerName,
    batchSize: options.batchSize ?? envNumber("WORKER_BATCH_SIZE", 8),
    concurrency: options.concurrency ?? envNumber("WORKER_CONCURRENCY", 2),
    dbPool: options.dbPool ?? envNumber("WORKER_DB_POOL", 10),
    heartbeatSeconds,
    progressIntervalMs: envNumber("PROGRESS_INTERVAL_MS", 1000),
    cancelPollMs: envNumber("CANCEL_POLL_MS", 1000),
    pollSeconds: options.pollSeconds ?? envNumber("WORKER_POLL_SECONDS", 2),
    ...(process.env.WORKER_IDLE_POLL_SECONDS ? { idlePollSeconds: envNumber("WORKER_IDLE_POLL_SECONDS", 15) } : {}),
    shutdownGraceMs: options.shutdownGraceMs ?? envNumber("SHUTDOWN_GRACE_MS", 20_000),
    staleAfterSeconds: staleAfterSeconds(),
    sweepIntervalSeconds: envNumber("SWEEP_INTERVAL_SECONDS", heartbeatSeconds / 2),
    detachAfterMs: envNumber("WORKER_DETACH_AFTER_MS", 20),
    health: {
      healthPort: options.healthPort !== undefined ? options.healthPort : process.env.WORKER_HEALTH_PORT ? envNumber("WORKER_HEALTH_PORT", 0) : null,
      healthHost: options.healthHost ?? (process.env.WORKER_HEALTH_HOST || "0.0.0.0"),
    },
  };
  const worker = await startEngine(settings);
  if (worker.recoveredAtStart > 0) console.log(`[worker] recovered ${worker.recoveredAtStart} run(s) interrupted by a restart`);
  const jobTypes = worker.jobTypes;
  console.log(`[worker] ${worker.workerId} ready: ${jobTypes.join(", ")}`);
  if (worker.healthPort !== null) console.log(`[worker] health and metrics on port ${worker.healthPort} (/livez, /readyz, /metrics)`);

  if (options.handleSignals) {
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
  }
  return { workerId: worker.workerId, jobTypes, healthPort: worker.healthPort, stop: worker.stop };
}
