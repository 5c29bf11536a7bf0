import { integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { tstz } from "./columns";

/** Operator-visible state of each cron schedule: the last tick and the ticks it skipped. */
export const jobSchedules = pgTable("job_schedules", {
  jobType: text("job_type").primaryKey(),
  cron: text("cron").notNull(),
  lastTickAt: tstz("last_tick_at"),
  lastRunId: uuid("last_run_id"),
  /** Ticks skipped because the previous run was still pending or running (seed 002). */
  skippedCount: integer("skipped_count").notNull().default(0),
  lastSkippedAt: tstz("last_skipped_at"),
  /** Paused by the instance owner (dashboard or CLI): pg-boss holds no cron for it meanwhile. */
  pausedAt: tstz("paused_at"),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});
