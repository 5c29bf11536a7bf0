import { integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

/** What a schedule's last tick did; "skipped" means the previous run was still pending or running. */
export const TICK_OUTCOMES = ["started", "skipped", "invalid_payload", "unknown_job_type"] as const;
export type TickOutcomeKind = (typeof TICK_OUTCOMES)[number];

/**
 * A project job type on a cron (UTC): at most one schedule per project and type. pg-boss holds the
 * cron itself (key = this row's id) while the schedule is not paused; this row holds what people
 * set and what its ticks did.
 */
export const projectSchedules = pgTable(
  "project_schedules",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    jobType: text("job_type").notNull(),
    cron: text("cron").notNull(),
    /** Validated against the job type's zod schema when set, and again at every tick. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    pausedAt: tstz("paused_at"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    lastTickAt: tstz("last_tick_at"),
    lastOutcome: text("last_outcome", { enum: TICK_OUTCOMES }),
    lastRunId: uuid("last_run_id"),
    /** Ticks skipped because the schedule's previous run (or another run holding the overlap slot) was still active. */
    skippedCount: integer("skipped_count").notNull().default(0),
    lastSkippedAt: tstz("last_skipped_at"),
    createdAt: createdAt(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  // Also the index of a project's list (ordered by job type).
  (t) => [uniqueIndex("project_schedules_project_type_key").on(t.projectId, t.jobType)],
);
