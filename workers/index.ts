import { hostname } from "node:os";
import { PgBoss } from "pg-boss";
import { envNumber } from "@/lib/config";
import { createDatabase, databaseUrl } from "@/lib/db/client";
import { BOSS_SCHEMA, ensureQueues } from "@/lib/jobs/boss";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { Runner } from "./runner";

const url = databaseUrl();
const workerId = process.env.WORKER_ID ?? `${hostname()}:${process.pid}`;
const batchSize = envNumber("WORKER_BATCH_SIZE", 8);
const concurrency = envNumber("WORKER_CONCURRENCY", 2);

const database = createDatabase(url, { max: envNumber("WORKER_DB_POOL", 10) });
const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, useListenNotify: true, application_name: "runboard-worker", instanceName: workerId });
boss.on("error", (error) => console.error("[pg-boss]", error));

const runner = new Runner({
  db: database.db,
  boss,
  workerId,
  heartbeatSeconds: envNumber("HEARTBEAT_SECONDS", 30),
  progressIntervalMs: envNumber("PROGRESS_INTERVAL_MS", 1000),
  cancelPollMs: envNumber("CANCEL_POLL_MS", 1000),
});

await boss.start();
await ensureQueues(boss);
runner.start();
for (const def of JOB_DEFINITIONS) {
  await boss.work<QueueJobData>(
    def.name,
    {
      batchSize,
      localConcurrency: concurrency,
      perJobResults: true,
      // Keep fetching while batches come back full; NOTIFY wakes idle workers at once, and the
      // slow poll only picks up retries whose start time has come.
      burstWhenBatchFull: true,
      pollingIntervalSeconds: 2,
      notifyPollingIntervalSeconds: envNumber("WORKER_POLL_SECONDS", 2),
    },
    (jobs) => runner.handleBatch(jobs),
  );
}
console.log(`[worker] ${workerId} ready: ${JOB_DEFINITIONS.map((d) => d.name).join(", ")}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`[worker] ${signal}: finishing running jobs, then stopping`);
  runner.stop();
  await boss.stop({ graceful: true, timeout: envNumber("SHUTDOWN_GRACE_MS", 20_000), close: true });
  await database.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
