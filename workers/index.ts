import { hostname } from "node:os";
import { envNumber, staleAfterSeconds } from "@/lib/config";
import { databaseUrl } from "@/lib/db/client";
import { outboundPolicy } from "@/lib/jobs/worker/outbound-guard";
import { JobTypeFilterError } from "./job-type-filter";
import { startWorker } from "./start-worker";

// A mistyped OUTBOUND_ALLOW_HOSTS stops the worker here, not the first run that calls out.
const outbound = outboundPolicy();
if (outbound.allow.length > 0) console.log(`[worker] outbound calls may also reach: ${process.env.OUTBOUND_ALLOW_HOSTS}`);

const heartbeatSeconds = envNumber("HEARTBEAT_SECONDS", 30);
const worker = await startWorker({
  jobTypes: process.env.WORKER_JOB_TYPES,
  onStopRequested: () => void shutdown("stop requested from the Workers page"),
  url: databaseUrl(),
  workerName: process.env.WORKER_NAME ?? hostname(),
  batchSize: envNumber("WORKER_BATCH_SIZE", 8),
  concurrency: envNumber("WORKER_CONCURRENCY", 2),
  dbPool: envNumber("WORKER_DB_POOL", 10),
  heartbeatSeconds,
  progressIntervalMs: envNumber("PROGRESS_INTERVAL_MS", 1000),
  cancelPollMs: envNumber("CANCEL_POLL_MS", 1000),
  pollSeconds: envNumber("WORKER_POLL_SECONDS", 2),
  shutdownGraceMs: envNumber("SHUTDOWN_GRACE_MS", 20_000),
  staleAfterSeconds: staleAfterSeconds(),
  sweepIntervalSeconds: envNumber("SWEEP_INTERVAL_SECONDS", heartbeatSeconds / 2),
  detachAfterMs: envNumber("WORKER_DETACH_AFTER_MS", 20),
  health: { healthPort: process.env.WORKER_HEALTH_PORT ? envNumber("WORKER_HEALTH_PORT", 0) : null, healthHost: process.env.WORKER_HEALTH_HOST || "0.0.0.0" },
}).catch((error: unknown) => {
  // A mistyped WORKER_JOB_TYPES: one clear line, no stack.
  if (!(error instanceof JobTypeFilterError)) throw error;
  console.error(`[worker] ${error.message}`);
  process.exit(1);
});
if (worker.recoveredAtStart > 0) console.log(`[worker] recovered ${worker.recoveredAtStart} run(s) interrupted by a restart`);
console.log(`[worker] ${worker.workerId} ready: ${worker.jobTypes.join(", ")}`);
if (worker.healthPort !== null) console.log(`[worker] health and metrics on port ${worker.healthPort} (/livez, /readyz, /metrics)`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`[worker] ${signal}: finishing running jobs, then stopping`);
  await worker.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
