import { PgBoss } from "pg-boss";
import { JOB_DEFINITIONS } from "./catalog";

/** pg-boss keeps its tables in their own schema beside ours. */
export const BOSS_SCHEMA = "pgboss";
/** Where pg-boss copies a job whose last attempt failed (seed 000's dead letter). */
export const DEAD_LETTER_QUEUE = "runboard_dead_letter";
/** pg-boss delivers every cron tick to this queue; the tick decides whether a run starts. */
export const CRON_QUEUE = "runboard_cron";
/**
 * pg-boss's cron pass sends one job per project schedule and occurrence here (key = the schedule's
 * id), whichever of the workers runs the pass; one worker then runs the tick.
 */
export const PROJECT_CRON_QUEUE = "runboard_project_cron";

/**
 * The web's pg-boss: it only sends (inside the caller's transaction). No maintenance, no cron,
 * no migrations, no listener: those belong to the worker.
 */
export function createSendOnlyBoss(connectionString: string): PgBoss {
  return new PgBoss({
    connectionString,
    schema: BOSS_SCHEMA,
    max: 2,
    schedule: false,
    supervise: false,
    migrate: false,
    createSchema: false,
    registerInstance: false,
    application_name: "runboard-web",
    // pg-boss waits 10 s for a connection by default; while Postgres is down a cancel or re-drive
    // should answer 503 within a couple of seconds (lib/db/errors.ts), like the rest of the web.
    connectionTimeoutMillis: 2000,
  });
}

/** Install or upgrade pg-boss's schema and create one queue per job type. Idempotent. */
export async function installQueues(connectionString: string): Promise<void> {
  const boss = new PgBoss({ connectionString, schema: BOSS_SCHEMA, max: 2, schedule: false, supervise: false, registerInstance: false });
  boss.on("error", (error) => console.error("[pg-boss]", error));
  await boss.start();
  try {
    await ensureQueues(boss);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

export async function ensureQueues(boss: PgBoss, defs: readonly { name: string }[] = JOB_DEFINITIONS): Promise<void> {
  if (!(await boss.getQueue(DEAD_LETTER_QUEUE))) await boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: 30 * 24 * 3600 });
  for (const queue of [CRON_QUEUE, PROJECT_CRON_QUEUE]) if (!(await boss.getQueue(queue))) await boss.createQueue(queue, { retryLimit: 2, retryDelay: 5, notify: true });
  for (const def of defs) {
    // Runboard schedules its own retries (exact run_at, fenced attempts): pg-boss runs each attempt
    // once. No pg-boss deadLetter on these queues: with retryLimit 0 it would copy every failed
    // attempt; the runner copies a run to DEAD_LETTER_QUEUE only when its last attempt failed.
    const options = { retryLimit: 0, notify: true, expireInSeconds: 4 * 3600 };
    if (await boss.getQueue(def.name)) await boss.updateQueue(def.name, { ...options, deadLetter: null });
    else await boss.createQueue(def.name, options);
  }
}

const globalForBoss = globalThis as unknown as { runboardSendOnlyBoss?: Promise<PgBoss> };

/** The process-wide send-only instance (web and API), started on first use. */
export function getSendOnlyBoss(connectionString: string): Promise<PgBoss> {
  globalForBoss.runboardSendOnlyBoss ??= (async () => {
    const boss = createSendOnlyBoss(connectionString);
    boss.on("error", (error) => console.error("[pg-boss]", error));
    await boss.start();
    return boss;
  })().catch((error: unknown) => {
    globalForBoss.runboardSendOnlyBoss = undefined;
    throw error;
  });
  return globalForBoss.runboardSendOnlyBoss;
}
