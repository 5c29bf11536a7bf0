import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./columns";
import { projects } from "./projects";
import { teams } from "./teams";
import { users } from "./users";

export const RUN_STATUSES = ["pending", "running", "completed", "failed", "cancelled", "dead_letter"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * The text that history search matches (`ilike`), indexed by job_runs_finished_public_text_idx:
 * queries must spell exactly this expression for the index to apply. It is the redacted text a
 * tenant may read (written with the run, see lib/jobs/redact.ts), never the raw error or payload:
 * matching raw text let a search recover a masked secret one character at a time.
 */
export const RUN_SEARCH_TEXT = sql.raw(`(coalesce(error_message_public, '') || ' ' || coalesce(payload_public::text, ''))`);

/** The finished statuses, as the partial history indexes spell them (queries must imply it). */
const FINISHED = sql.raw(`status in ('completed', 'failed', 'cancelled', 'dead_letter')`);

/** Structured error stored on a run and on its steps (seed 001's taxonomy). */
export type RunError = {
  message: string;
  type: string;
  source: string;
  subType: string;
  severity: number;
  retryable: boolean;
  stack?: string;
};

/**
 * The application-visible record of one job run (seed 000), beside pg-boss's own tables.
 * Written only by lib/jobs (enqueue + lifecycle); the web reads it through lib/dal.
 */
export const jobRuns = pgTable(
  "job_runs",
  {
    id: uuid("id").primaryKey(),
    teamId: uuid("team_id").references(() => teams.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    jobType: text("job_type").notNull(),
    resourceType: text("resource_type"),
    resourceId: uuid("resource_id"),
    status: text("status", { enum: RUN_STATUSES }).notNull().default("pending"),
    attemptCount: integer("attempt_count").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    result: jsonb("result").$type<Record<string, unknown>>(),
    errorMessage: text("error_message"),
    error: jsonb("error").$type<RunError>(),
    /*
     * What tenants may read, redacted once when the run is written (payload at enqueue, result and
     * error when an attempt ends), so reads never run the redactor. Null on rows written before
     * migration 0010 until lib/jobs/worker/redact-backfill.ts reaches them (reads then redact the capped
     * raw value).
     */
    errorMessagePublic: text("error_message_public"),
    payloadPublic: jsonb("payload_public").$type<Record<string, unknown>>(),
    resultPublic: jsonb("result_public").$type<Record<string, unknown>>(),
    triggeredBy: uuid("triggered_by").references(() => users.id, { onDelete: "set null" }),
    notify: boolean("notify").notNull().default(false),
    progressProcessed: integer("progress_processed"),
    progressTotal: integer("progress_total"),
    progressMessage: text("progress_message"),
    progressPercent: smallint("progress_percent"),
    currentStage: text("current_stage"),
    lastHeartbeat: tstz("last_heartbeat"),
    workerId: text("worker_id"),
    bossJobId: uuid("boss_job_id"),
    /** Set for job types that prevent overlap: `<project id or "system">:<job type>`. */
    exclusiveKey: text("exclusive_key"),
    cancelRequestedAt: tstz("cancel_requested_at"),
    cancelledBy: uuid("cancelled_by").references(() => users.id, { onDelete: "set null" }),
    queuedAt: tstz("queued_at").notNull().defaultNow(),
    runAt: tstz("run_at").notNull().defaultNow(),
    /** When the first attempt started (the run's start). */
    startedAt: tstz("started_at"),
    /**
     * When the current (or last) attempt started. An attempt's step row is written when it ends,
     * with its duration; until then the run row alone tells that it started, when and where.
     */
    attemptStartedAt: tstz("attempt_started_at"),
    completedAt: tstz("completed_at"),
    createdAt: createdAt(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    // Per job type and status, active runs included: support's all-projects history, the error
    // explorer (whose statuses include pending and running runs that carry an earlier error).
    index("job_runs_type_status_queued_idx").on(t.jobType, t.status, t.queuedAt.desc()),
    // Keyset pagination of a project's history: (queued_at, id) descending.
    index("job_runs_project_history_idx").on(t.projectId, t.queuedAt.desc(), t.id.desc()),
    // The newest run of each job type of a project (jobs page), one index probe per type.
    index("job_runs_project_type_queued_idx").on(t.projectId, t.jobType, t.queuedAt.desc()),
    // Runs without a resource (most) are not in it: `resource_id = $1` implies the predicate.
    index("job_runs_resource_idx").on(t.resourceType, t.resourceId, t.queuedAt.desc()).where(sql`${t.resourceId} is not null`),
    // History (migration 0005). Partial on finished runs: the worker's many updates of pending
    // and running runs never write these; a run enters them once, when it finishes. The few
    // active runs are found through job_runs_active_idx.
    // Filtered by status: one range per (project, status), newest first.
    index("job_runs_finished_status_idx").on(t.projectId, t.status, t.queuedAt.desc(), t.id.desc()).where(FINISHED),
    // Filtered by who triggered them ("me").
    index("job_runs_finished_trigger_idx").on(t.triggeredBy, t.queuedAt.desc(), t.id.desc()).where(sql`${FINISHED} and ${t.triggeredBy} is not null`),
    // Text search over the redacted error message and payload (pg_trgm). Trigrams only: a project
    // key in the GIN (btree_gin) makes every search read that project's whole posting list, which
    // for a big project cost more than the rows it was meant to skip (migration 0007).
    index("job_runs_finished_public_text_idx").using("gin", sql`(${RUN_SEARCH_TEXT}) gin_trgm_ops`).where(FINISHED),
    // Rows the redaction backfill has yet to reach (only rows from before migration 0010: every
    // run is written with payload_public since), so it finds them without a scan.
    index("job_runs_unredacted_idx").on(t.id).where(sql`${t.payloadPublic} is null`),
    index("job_runs_active_idx").on(t.status, t.lastHeartbeat).where(sql`${t.status} in ('pending', 'running')`),
    // Queues view (lib/dal/queues.ts): per job type, ranges by status and due time (pending,
    // waiting for retry, running, oldest pending), and by end time (failed and dead-lettered in
    // 24 h, finished per minute), counted from the index alone. project_id last: a project's view
    // filters inside the job type's range, so it never costs more than the instance's view.
    index("job_runs_queue_active_idx").on(t.jobType, t.status, t.runAt, t.projectId).where(sql`${t.status} in ('pending', 'running')`),
    index("job_runs_queue_finished_idx").on(t.jobType, t.status, t.completedAt, t.projectId).where(FINISHED),
    // Runs held back by a pause or a concurrency limit (lib/jobs/worker/queue-gate.ts): pending with
    // no queue job. Released oldest first, per job type.
    index("job_runs_held_idx").on(t.jobType, t.queuedAt, t.projectId).where(sql`${t.status} = 'pending' and ${t.bossJobId} is null`),
    // Overlap prevention (seed 002) in the database, not by check-then-insert: one
    // pending-or-running run per exclusive key (see exclusiveKeyFor: per project, or per resource).
    // Runs of types that allow overlap (null key) stay out of it.
    uniqueIndex("job_runs_one_active_key").on(t.exclusiveKey).where(sql`${t.status} in ('pending', 'running') and ${t.exclusiveKey} is not null`),
    check("job_runs_percent_range", sql`${t.progressPercent} between 0 and 100`),
  ],
);

/**
 * Step history (seed 001's job_step_history): one row per ended attempt and per step, each written
 * when it ends, with its duration. (Rows with status `started` are from before migration 0008,
 * which stopped writing a second row at each attempt's start.)
 */
export const jobRunSteps = pgTable(
  "job_run_steps",
  {
    // Range-partitioned by month on created_at (migration 0003), so the key includes it.
    id: uuid("id").notNull().defaultRandom(),
    runId: uuid("run_id").notNull().references(() => jobRuns.id, { onDelete: "cascade" }),
    stepType: text("step_type").notNull(),
    status: text("status", { enum: ["started", "completed", "failed", "retrying", "cancelled", "skipped"] }).notNull(),
    attemptNumber: integer("attempt_number").notNull(),
    errorMessage: text("error_message"),
    /** The message redacted for tenants when the step was written (null on older rows). */
    errorMessagePublic: text("error_message_public"),
    errorType: text("error_type"),
    errorSource: text("error_source"),
    errorSubType: text("error_sub_type"),
    errorSeverity: smallint("error_severity"),
    workerId: text("worker_id"),
    durationMs: integer("duration_ms"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.createdAt] }),
    index("job_run_steps_run_idx").on(t.runId, t.createdAt),
    check("job_run_steps_severity_range", sql`${t.errorSeverity} between 1 and 5`),
  ],
);
