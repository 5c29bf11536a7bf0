import { PgBoss } from "pg-boss";
import { createDatabase } from "@/lib/db/client";
import { BOSS_SCHEMA, ensureQueues } from "@/lib/jobs/boss";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { Runner, type HandlerMap } from "./runner";

export type WorkerSettings = {
  url: string;
  workerId: string;
  batchSize: number;
  concurrency: number;
  dbPool: number;
  heartbeatSeconds: number;
  progressIntervalMs: number;
  cancelPollMs: number;
  /** Backstop poll for work that sends no NOTIFY (retries whose time has come). */
  pollSeconds: number;
  shutdownGraceMs: number;
  handlers?: HandlerMap;
};

export type RunningWorker = { runner: Runner; boss: PgBoss; stop: () => Promise<void> };

/** Boot pg-boss, make sure every catalog queue exists, and start consuming them. */
export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  const database = createDatabase(settings.url, { max: settings.dbPool });
  const boss = new PgBoss({
    connectionString: settings.url,
    schema: BOSS_SCHEMA,
    useListenNotify: true,
    application_name: "runboard-worker",
    instanceName: settings.workerId,
  });
  boss.on("error", (error) => console.error("[pg-boss]", error));
  const runner = new Runner({
    db: database.db,
    boss,
    workerId: settings.workerId,
    heartbeatSeconds: settings.heartbeatSeconds,
    progressIntervalMs: settings.progressIntervalMs,
    cancelPollMs: settings.cancelPollMs,
    handlers: settings.handlers,
  });

  await boss.start();
  await ensureQueues(boss);
  runner.start();
  for (const def of JOB_DEFINITIONS) {
    await boss.work<QueueJobData>(
      def.name,
      {
        batchSize: settings.batchSize,
        localConcurrency: settings.concurrency,
        perJobResults: true,
        // Keep fetching while batches come back full (no wait between jobs of a backlog); NOTIFY
        // wakes idle workers the moment a job is sent.
        burstWhenBatchFull: true,
        pollingIntervalSeconds: settings.pollSeconds,
        notifyPollingIntervalSeconds: settings.pollSeconds,
      },
      (jobs) => runner.handleBatch(jobs),
    );
  }

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      runner.stop();
      await boss.stop({ graceful: true, timeout: settings.shutdownGraceMs, close: true });
      await database.close();
    })();
    return stopped;
  };
  return { runner, boss, stop };
}
