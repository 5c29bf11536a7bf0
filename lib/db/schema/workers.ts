import { sql } from "drizzle-orm";
import { check, doublePrecision, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { tstz } from "./columns";

/** What a worker reports on each ping: serving, quiet (takes no new runs), or stopping (draining to exit). */
export const WORKER_STATES = ["live", "quiet", "stopping"] as const;
export type WorkerReportedState = (typeof WORKER_STATES)[number];
/** What the Workers page asks of a worker; it reads this on its next ping. Null: serve as usual. */
export const WORKER_COMMANDS = ["quiet", "stop"] as const;
export type WorkerCommand = (typeof WORKER_COMMANDS)[number];

/**
 * One row per worker process (instance), written by the worker itself: it registers at start,
 * refreshes last_seen_at on its own connection and timer, and sets stopped_at when it stops.
 * job_runs.worker_id and job_run_steps.worker_id hold an instance's id. Whether a running run
 * lost its worker is decided from this row (lib/jobs/liveness), never from a name or a
 * session-held lock, so it survives reconnects and Postgres restarts.
 */
export const workers = pgTable(
  "workers",
  {
    /** `<name>:<pid>:<random>`: unique per process, even for processes of the same name. */
    id: text("id").primaryKey(),
    /** WORKER_NAME: for people; several live instances may share it. */
    name: text("name").notNull(),
    host: text("host").notNull(),
    pid: integer("pid").notNull(),
    version: text("version").notNull(),
    jobTypes: text("job_types").array().notNull(),
    /** Runs of one job type this instance may hold at once. */
    concurrency: integer("concurrency").notNull(),
    /** This instance's HEARTBEAT_SECONDS: it counts as lost once last_seen_at is 1.5 of these old. */
    heartbeatSeconds: doublePrecision("heartbeat_seconds").notNull(),
    startedAt: tstz("started_at").notNull().default(sql`now()`),
    lastSeenAt: tstz("last_seen_at").notNull().default(sql`now()`),
    /** Set when it stopped (gracefully, or found dead by a successor on its host). */
    stoppedAt: tstz("stopped_at"),
    /** Reported by the worker with each ping, so the page shows what it does, not what was asked. */
    state: text("state", { enum: WORKER_STATES }).notNull().default("live"),
    /** Set by the Workers page (instance owner); the worker acts on it at its next ping. */
    command: text("command", { enum: WORKER_COMMANDS }),
    commandAt: tstz("command_at"),
  },
  (t) => [
    // Pruning of long-gone instances reads the oldest first.
    index("workers_last_seen_idx").on(t.lastSeenAt),
    // The Workers page pages newest first on (started_at, id).
    index("workers_started_idx").on(t.startedAt.desc(), t.id.desc()),
    // "Does a live worker serve this job type?" (every trigger) reads only workers not stopped.
    index("workers_running_idx").on(t.lastSeenAt).where(sql`${t.stoppedAt} is null`),
    check("workers_state_valid", sql`${t.state} in ('live', 'quiet', 'stopping')`),
    check("workers_command_valid", sql`${t.command} is null or ${t.command} in ('quiet', 'stop')`),
  ],
);
