import { PgBoss } from "pg-boss";
import { createDatabase } from "@/lib/db/client";
import { BOSS_SCHEMA, ensureQueues } from "@/lib/jobs/boss";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { recoverRestartedRuns, requeueOrphanedPending, settleEndedRunJobs, sweepStaleRuns } from "@/lib/jobs/recovery";
import { backfillAllRedactedRuns } from "@/lib/jobs/redact-backfill";
import { CRON_QUEUE, registerSchedules, runScheduleTick, type CronTickData } from "@/lib/jobs/schedules";
import { Runner, type HandlerMap } from "./runner";

export type WorkerSettings = {
  url: string;
  /** Stable per machine or deployment slot; a restart finds the runs its predecessor left. */
  workerName: string;
  /** Unique per process: `<workerName>:<pid>` by default. */
  workerId?: string;
  batchSize: number;
  concurrency: number;
  dbPool: number;
  heartbeatSeconds: number;
  progressIntervalMs: number;
  cancelPollMs: number;
  /** Backstop poll for work that sends no NOTIFY (retries whose time has come). */
  pollSeconds: number;
  shutdownGraceMs: number;
  /** A running run without a heartbeat for this long lost its worker. */
  staleAfterSeconds: number;
  sweepIntervalSeconds: number;
  handlers?: HandlerMap;
};

/**
 * How long a stopping worker keeps trying to write the ends still waiting (the database may be
 * away); recovery writes what is left from pg-boss's job output.
 */
const END_FLUSH_MS = 10_000;

/** How the worker's own queries (claims, ends, heartbeats) show in pg_stat_activity; pg-boss's are "runboard-worker". */
export const WORKER_DB_APPLICATION = "runboard-worker-db";

export type RunningWorker = { runner: Runner; boss: PgBoss; workerId: string; recoveredAtStart: number; stop: () => Promise<void> };

/** Boot pg-boss, make sure every catalog queue exists, and start consuming them. */
export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  if (settings.staleAfterSeconds < settings.heartbeatSeconds * 2) {
    throw new Error(`STALE_AFTER_SECONDS (${settings.staleAfterSeconds}) must be at least twice HEARTBEAT_SECONDS (${settings.heartbeatSeconds}), or live runs would be swept.`);
  }
  const workerId = settings.workerId ?? `${settings.workerName}:${process.pid}`;
  const database = createDatabase(settings.url, { max: settings.dbPool, applicationName: WORKER_DB_APPLICATION });
  const boss = new PgBoss({
    connectionString: settings.url,
    schema: BOSS_SCHEMA,
    useListenNotify: true,
    application_name: "runboard-worker",
    instanceName: workerId,
  });
  boss.on("error", (error) => console.error("[pg-boss]", error));
  const runner = new Runner({
    db: database.db,
    boss,
    workerId,
    heartbeatSeconds: settings.heartbeatSeconds,
    progressIntervalMs: settings.progressIntervalMs,
    cancelPollMs: settings.cancelPollMs,
    handlers: settings.handlers,
  });

  await boss.start();
  await ensureQueues(boss);
  // Only the one live process holding this name's lock may treat the name's running runs as its
  // predecessor's: a second worker started under the same name skips restart recovery (the
  // heartbeat sweep still covers real losses).
  const nameLock = await database.sql.reserve();
  const [lock] = await nameLock<{ held: boolean }[]>`select pg_try_advisory_lock(hashtext(${`runboard-worker:${settings.workerName}`})) as held`;
  let recoveredAtStart = 0;
  if (lock?.held) recoveredAtStart = await recoverRestartedRuns(database.db, boss, settings.workerName, workerId);
  else console.warn(`[worker] another live worker is named "${settings.workerName}"; set WORKER_NAME to tell them apart`);
  await registerSchedules(database.db, boss);
  // Cron ticks (pg-boss's scheduler, at most one instance sends each) become runs or recorded skips.
  await boss.work<CronTickData>(CRON_QUEUE, { pollingIntervalSeconds: settings.pollSeconds, notifyPollingIntervalSeconds: settings.pollSeconds }, async (jobs) => {
    for (const job of jobs) {
      const tick = await runScheduleTick(database.db, boss, job.data.jobType);
      if (tick.outcome === "skipped") console.log(`[worker] ${job.data.jobType}: tick skipped, run ${tick.existingRunId} is still active`);
    }
  });
  runner.start();
  const sweep = () =>
    void Promise.all([
      sweepStaleRuns(database.db, boss, settings.staleAfterSeconds),
      requeueOrphanedPending(database.db, boss, settings.staleAfterSeconds),
      settleEndedRunJobs(database.db, boss, settings.staleAfterSeconds),
    ]).catch((e) =>
      console.error("[worker] stale-run sweep failed", e),
    );
  // Runs without redacted columns (from before migration 0010, or enqueued by an older web
  // process during an upgrade) get them in the background, in batches: at start, and again at each
  // sweep while none is under way (one index probe when there is nothing left).
  const backfill = new AbortController();
  let backfilling: Promise<void> | null = null;
  const startBackfill = () => {
    backfilling ??= backfillAllRedactedRuns(database.sql, backfill.signal)
      .then((n) => void (n > 0 && console.log(`[worker] redacted columns filled for ${n} older runs`)))
      .catch((e: unknown) => console.error("[worker] redaction backfill failed", e))
      .finally(() => (backfilling = null));
  };
  startBackfill();
  const sweeper = setInterval(() => {
    sweep();
    startBackfill();
  }, settings.sweepIntervalSeconds * 1000);
  sweeper.unref();
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
      clearInterval(sweeper);
      backfill.abort();
      // Stop fetching, let running handlers finish (heartbeats go on meanwhile), then end the rest.
      await Promise.all([...JOB_DEFINITIONS.map((def) => def.name), CRON_QUEUE].map((name) => boss.offWork(name, { wait: false })));
      await runner.drain(settings.shutdownGraceMs);
      // Ends are retried until written, but not forever at a stop: recovery has the rest.
      await runner.flushEnds(END_FLUSH_MS);
      runner.stop();
      await boss.stop({ graceful: true, timeout: 5_000, close: true });
      // A batch pg-boss handed over while it stopped may have ended since.
      await runner.flushEnds(END_FLUSH_MS / 2);
      nameLock.release();
      await backfilling;
      await database.close();
    })();
    return stopped;
  };
  return { runner, boss, workerId, recoveredAtStart, stop };
}
