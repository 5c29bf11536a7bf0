import { readFileSync } from "node:fs";
import { PgBoss } from "pg-boss";
import { createDatabase } from "@/lib/db/client";
import { idlePollSeconds, startDueWaker } from "./due-waker";
import { BOSS_SCHEMA, ensureQueues } from "@/lib/jobs/boss";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import type { QueueJobData } from "@/lib/jobs/enqueue";
import { sendDueAlertDigests } from "@/lib/notify/alerts";
import { recoverOwnOrphans, recoverRestartedRuns, requeueOrphanedPending, settleEndedRunJobs, sweepStaleRuns } from "@/lib/jobs/worker/recovery";
import { backfillAllRedactedRuns } from "@/lib/jobs/worker/redact-backfill";
import { registerSchedules } from "@/lib/jobs/worker/schedules";
import { filterJobTypes } from "./job-type-filter";
import type { JobDefinition } from "@/lib/jobs/define";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { instanceGone, WorkerLiveness, workerIdentity } from "./liveness";
import { WorkerOps, type OpsSettings } from "./ops";
import { registerServedTypes, servesSchedules } from "./registration";
import { Runner, type HandlerMap, type RunnerOptions } from "./runner";
import { SCHEDULE_QUEUES, workScheduleTicks } from "./schedule-ticks";
import { WorkerCommands } from "./worker-commands";
import { QueueControls } from "./queue-controls";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export type WorkerSettings = {
  url: string;
  /** For people (the step history, logs); several live processes may share it. */
  workerName: string;
  /** Unique per process: `<workerName>:<pid>:<random>` by default. */
  workerId?: string;
  batchSize: number;
  concurrency: number;
  dbPool: number;
  heartbeatSeconds: number;
  progressIntervalMs: number;
  cancelPollMs: number;
  /** How often the due waker looks for delayed jobs that came due (retries, later runs), and the poll without LISTEN/NOTIFY. */
  pollSeconds: number;
  /** Backstop poll of an idle fetch loop while NOTIFY works (max(pollSeconds, 15) by default). */
  idlePollSeconds?: number;
  shutdownGraceMs: number;
  /**
   * A running run whose worker never registered (a worker from before the registry) and without a
   * heartbeat for this long lost its worker; the run page warns from it too.
   */
  staleAfterSeconds: number;
  /** How often this worker looks for lost workers' runs (half a heartbeat by default). */
  sweepIntervalSeconds: number;
  /** A batch's runs still going after this long stop holding its fetch loop (20 ms by default). */
  detachAfterMs?: number;
  handlers?: HandlerMap;
  /** The health/metrics port (WORKER_HEALTH_PORT; none by default) and its host. */
  health?: Pick<OpsSettings, "healthPort" | "healthHost" | "stuckAfterSeconds">;
  timeouts?: RunnerOptions["timeouts"];
  /** WORKER_JOB_TYPES: a comma list of the job types this worker serves (unset or empty: all). */
  jobTypes?: string;
  /**
   * A stop asked for from the Workers page. By default the worker stops (as `stop()`); a process
   * that exists only to run the worker passes its own shutdown, which then exits.
   */
  onStopRequested?: () => void;
  /** The job types this worker serves (registered in job_types at start); the catalog's by default. */
  jobs?: readonly JobDefinition[];
  /** Who registers them, as the jobs page shows it; the worker name by default. */
  source?: string;
};

/**
 * How long a stopping worker keeps trying to write the ends still waiting (the database may be
 * away); recovery writes what is left from pg-boss's job output.
 */
const END_FLUSH_MS = 10_000;

/** How the worker's own queries (claims, ends, heartbeats) show in pg_stat_activity; pg-boss's are "runboard-worker". */
export const WORKER_DB_APPLICATION = "runboard-worker-db";

export type RunningWorker = { runner: Runner; boss: PgBoss; workerId: string; jobTypes: string[]; recoveredAtStart: number; healthPort: number | null; stop: () => Promise<void> };

/** Boot pg-boss, make sure every catalog queue exists, and start consuming them. */
export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  if (settings.staleAfterSeconds < settings.heartbeatSeconds * 2) {
    throw new Error(`STALE_AFTER_SECONDS (${settings.staleAfterSeconds}) must be at least twice HEARTBEAT_SECONDS (${settings.heartbeatSeconds}), or live runs would be swept.`);
  }
  const served = filterJobTypes(settings.jobs ?? (JOB_DEFINITIONS as unknown as readonly JobDefinition[]), settings.jobTypes);
  const identity = workerIdentity({
    id: settings.workerId,
    name: settings.workerName,
    version: VERSION,
    jobTypes: served.map((d) => d.name),
    // A batch in each fetch loop, and as many runs again detached from their batches.
    concurrency: 2 * settings.batchSize * settings.concurrency,
    heartbeatSeconds: settings.heartbeatSeconds,
  });
  const workerId = identity.id;
  const database = createDatabase(settings.url, { max: settings.dbPool, applicationName: WORKER_DB_APPLICATION });
  const boss = new PgBoss({
    connectionString: settings.url,
    schema: BOSS_SCHEMA,
    useListenNotify: true,
    application_name: "runboard-worker",
    instanceName: workerId,
  });
  boss.on("error", (error) => console.error("[pg-boss]", error));
  const idlePoll = settings.idlePollSeconds ?? idlePollSeconds(settings.pollSeconds);
  const ops: WorkerOps = new WorkerOps({ healthPort: null, healthHost: "0.0.0.0", ...settings.health, pollSeconds: settings.pollSeconds, idlePollSeconds: idlePoll }, () => runner.activeRunIds().length);
  const queueControls = new QueueControls(database.db, boss, JOB_DEFINITIONS.map((d) => d.name));
  const runner: Runner = new Runner({
    db: database.db,
    boss,
    workerId,
    heartbeatSeconds: settings.heartbeatSeconds,
    progressIntervalMs: settings.progressIntervalMs,
    cancelPollMs: settings.cancelPollMs,
    detachAfterMs: settings.detachAfterMs ?? 20,
    detachedCapacity: settings.batchSize * settings.concurrency,
    handlers: settings.handlers,
    observer: ops.observer,
    timeouts: settings.timeouts,
    queueControls,
  });

  await boss.start();
  await ensureQueues(boss, served);
  // Registered (and answering) before it claims anything, so no sweep takes its runs for lost ones.
  const liveness = new WorkerLiveness(settings.url, identity);
  await liveness.start();
  await registerServedTypes(database.db, served, { source: settings.source ?? settings.workerName, workerId });
  const recoveredAtStart = await recoverRestartedRuns(database.db, boss, identity.host, instanceGone);
  const schedules = servesSchedules(served);
  if (schedules) await registerSchedules(database.db, boss);
  // Cron ticks (pg-boss's scheduler, at most one instance sends each) become runs or recorded skips.
  if (schedules) await workScheduleTicks(database.db, boss, { pollingIntervalSeconds: settings.pollSeconds, notifyPollingIntervalSeconds: idlePoll });
  runner.start();
  const healthPort = await ops.serve(boss, liveness);
  await queueControls.start();
  const report = (what: string) => (e: unknown) => console.error(`[worker] ${what} failed`, e);
  // Runs without redacted columns (from before migration 0010, or enqueued by an older web
  // process during an upgrade) get them in the background, in batches: at start, and again at each
  // slow sweep while none is under way (one index probe when there is nothing left).
  const backfill = new AbortController();
  let backfilling: Promise<void> | null = null;
  const startBackfill = () => {
    backfilling ??= backfillAllRedactedRuns(database.sql, backfill.signal)
      .then((n) => void (n > 0 && console.log(`[worker] redacted columns filled for ${n} older runs`)))
      .catch(report("redaction backfill"))
      .finally(() => (backfilling = null));
  };
  startBackfill();
  const sweepers = [
    setInterval(() => {
      void sweepStaleRuns(database.db, boss, settings.staleAfterSeconds, liveness.healthySeconds()).catch(report("lost-run sweep"));
      void recoverOwnOrphans(database.db, boss, workerId, () => runner.heldRunIds(), settings.heartbeatSeconds * 2).catch(report("own-orphan sweep"));
      // Team alert digests whose window has ended (one index probe when none is due).
      void sendDueAlertDigests(database.db, boss).catch(report("alert digest sweep"));
    }, settings.sweepIntervalSeconds * 1000),
    // These scan pending runs and active queue jobs, many under a backlog: not as often.
    setInterval(() => {
      void requeueOrphanedPending(database.db, boss, settings.staleAfterSeconds).catch(report("orphaned-pending sweep"));
      void settleEndedRunJobs(database.db, boss, settings.staleAfterSeconds).catch(report("ended-run job sweep"));
      // Types registered since this worker started (their lost runs' retry policy).
      void loadRegisteredTypes(database.db).catch(report("job type refresh"));
      startBackfill();
    }, (settings.staleAfterSeconds * 1000) / 4),
  ];
  for (const t of sweepers) t.unref();
  const consume = async () => {
    for (const def of served) {
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
          notifyPollingIntervalSeconds: idlePoll,
        },
        (jobs) => runner.handleBatch(jobs),
      );
    }
  };
  const stopConsuming = () => Promise.all(served.map((def) => boss.offWork(def.name, { wait: false })));
  await consume();
  // Delayed jobs (retry backoff, later runs, cron retries) wake their idle loops when they come due.
  const waker = startDueWaker(database.sql, [...served.map((def) => def.name), ...(schedules ? SCHEDULE_QUEUES : [])], settings.pollSeconds, report("due-job wake-up"));

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      ops.stopping();
      await commands.stopping();
      for (const t of sweepers) clearInterval(t);
      waker.stop();
      backfill.abort();
      // Stop fetching, let running handlers finish (heartbeats go on meanwhile), then end the rest.
      await Promise.all([...served.map((def) => def.name), ...SCHEDULE_QUEUES].map((name) => boss.offWork(name, { wait: false })));
      await runner.drain(settings.shutdownGraceMs);
      await queueControls.stop();
      // Ends are retried until written, but not forever at a stop: recovery has the rest.
      await runner.flushEnds(END_FLUSH_MS);
      runner.stop();
      await boss.stop({ graceful: true, timeout: 5_000, close: true });
      // A batch pg-boss handed over while it stopped may have ended since.
      await runner.flushEnds(END_FLUSH_MS / 2);
      await backfilling;
      await liveness.stop();
      await database.close();
      await ops.close();
    })();
    return stopped;
  };
  // The Workers page's quiet / resume / stop, read from this worker's row with each ping.
  const commands = new WorkerCommands(liveness, {
    quiet: async () => void (await stopConsuming()),
    resume: consume,
    stop: async () => (settings.onStopRequested ? settings.onStopRequested() : await stop()),
  });
  return { runner, boss, workerId, jobTypes: identity.jobTypes, recoveredAtStart, healthPort, stop };
}
