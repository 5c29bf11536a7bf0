import { sql } from "drizzle-orm";
import { doublePrecision, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { tstz } from "./columns";

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
  },
  // Pruning of long-gone instances reads the oldest first.
  (t) => [index("workers_last_seen_idx").on(t.lastSeenAt)],
);
