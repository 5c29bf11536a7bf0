import { sql } from "drizzle-orm";
import { boolean, check, integer, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { id, tstz } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

/**
 * Pause and concurrency limit of a job type (docs/queues.md). A row with a project applies to
 * that project's runs of the type; a row without one applies to every run of the type on the
 * instance (system job types, or an operator's instance-wide limit). No row: no control, and the
 * worker claims as if this table did not exist.
 */
export const jobTypeControls = pgTable(
  "job_type_controls",
  {
    id: id(),
    jobType: text("job_type").notNull(),
    /** Null: the instance-wide control of the job type. */
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    paused: boolean("paused").notNull().default(false),
    /** Runs of the type (in the project, or on the instance) that may run at once; null = no limit. */
    concurrencyLimit: integer("concurrency_limit"),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    // One control per job type and scope; the instance-wide one (null project) included.
    unique("job_type_controls_scope_key").on(t.jobType, t.projectId).nullsNotDistinct(),
    check("job_type_controls_limit_range", sql`${t.concurrencyLimit} between 1 and 10000`),
  ],
);
