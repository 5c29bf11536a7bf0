import { z } from "zod";
import { RUN_STATUSES } from "@/lib/db/schema/job-runs";
import type { KeyProjectItem } from "@/lib/dal/api-keys";
import type { HistoryRow } from "@/lib/dal/history";
import type { JobTypeOverview, RunView } from "@/lib/dal/runs";
import { historyFilterSchema } from "@/lib/runs/history-filter";
import { safeText } from "@/lib/validation/safe-text";

/**
 * The /api/v1 contract: every request is parsed with these schemas and the OpenAPI document is
 * generated from them, so the docs cannot drift from what the server accepts. Response schemas
 * are checked against the DAL's DTO types at compile time (see the assertions at the end).
 */

// ------------------------------------------------------------------------------------------
// Errors

export const API_ERROR_CODES = [
  "unauthenticated",
  "forbidden",
  "not_found",
  "bad_request",
  "invalid",
  "payload_too_large",
  "rate_limited",
  "already_active",
  "not_cancellable",
  "not_retryable",
  "limit_reached",
  "conflict",
  "not_waiting_for_retry",
  "database_unavailable",
  "internal",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES),
      message: z.string(),
      fieldErrors: z.record(z.string(), z.array(z.string())).optional().meta({ description: "Per field, for 422: keys are dotted paths such as `payload.items`." }),
      existingRunId: z.uuid().optional().meta({ description: "For 409: the pending or running run that holds the slot." }),
      overlap: z.enum(["project", "resource", "none"]).optional().meta({ description: "For 409 on a trigger: the job type's overlap rule that refused it (one run per project, or per resource such as a file)." }),
      reference: z.string().optional().meta({ description: "For 500: quote it to the operator; the detail is in the server log." }),
    }),
  })
  .meta({ id: "Error" });
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

// ------------------------------------------------------------------------------------------
// Path parameters

export const projectParams = z.object({ slug: safeText().min(1).max(100) });
export const runParams = projectParams.extend({ runId: safeText().min(1).max(100) });

// ------------------------------------------------------------------------------------------
// Requests

/**
 * A file-typed payload field (contacts_import's `fileId`) takes the file inline: its text, or
 * base64 for binary content. It is stored like a dashboard upload and its id goes in the payload.
 */
export const inlineFileFields = z
  .object({
    name: safeText().min(1).max(200).default("upload"),
    contentType: safeText().max(100).optional(),
    encoding: z.enum(["utf8", "base64"]).default("utf8"),
    content: z.string(),
  })
  .meta({ description: "A file given inline in a JSON payload: text (utf8) or base64." });
export const inlineFileSchema = inlineFileFields.meta({ id: "InlineFile" });

export const triggerBody = z
  .object({
    jobType: safeText().min(1).max(100).meta({ description: "A project job type, see GET /projects/{slug}/job-types." }),
    payload: z.record(z.string(), z.unknown()).default({}).meta({ description: "Validated against the job type's payload schema." }),
    notify: z.boolean().default(false).meta({ description: "Email the key's creator when the run ends." }),
    runAt: safeText()
      .max(64)
      .optional()
      .meta({
        description:
          "Run later: ISO 8601 with an offset (`2026-12-02T16:30:00Z`, `...+01:00`). At most 365 days ahead; a time up to 60 s in the past runs now, earlier is refused (422). The run is pending (`scheduledFor` set) until then, holds its overlap slot, and can be cancelled.",
      }),
  })
  .meta({ id: "TriggerRequest" });

/**
 * Query of GET /projects/{slug}/runs: the history page's own filter schema (status, jobType,
 * triggeredBy, from/to, resourceType/resourceId, q, sort, cursor, limit), so a filter means the
 * same in the dashboard's URL and in the API.
 */
export const runListQuery = historyFilterSchema;

// ------------------------------------------------------------------------------------------
// Responses

export const projectSchema = z.object({ slug: z.string(), name: z.string(), teamName: z.string() }).meta({ id: "Project" });
export const projectListSchema = z.object({ projects: z.array(projectSchema) }).meta({ id: "ProjectList" });

/** Create or rename a project: the name as sent; the server trims it and checks its rules. */
export const projectNameBody = z
  .object({ name: z.string().max(320, "At most 80 characters.").meta({ description: "1-80 characters after trimming; unique among the team's live projects." }) })
  .strict()
  .meta({ id: "ProjectNameRequest" });

export const projectResultSchema = z
  .object({
    project: projectSchema.extend({
      deletedAt: z.iso.datetime().optional().meta({ description: "On delete: when it was deleted." }),
      restoreUntil: z.iso.datetime().optional().meta({ description: "On delete: restore with POST /projects/{slug}/restore until then; soft-delete cleanup removes it after." }),
    }),
  })
  .meta({ id: "ProjectResult" });

const runStatus = z.enum(RUN_STATUSES).meta({ id: "RunStatus" });

export const jobTypeSchema = z
  .object({
    name: z.string(),
    label: z.string(),
    description: z.string(),
    demo: z.boolean(),
    lastRun: z
      .object({
        id: z.uuid(),
        status: runStatus,
        queuedAt: z.string(),
        triggeredBy: z.string().nullable(),
        scheduledFor: z.string().nullable().meta({ description: "When the run is a later run not yet due: its start (ISO 8601)." }),
      })
      .nullable(),
    typicalMs: z.number().nullable().meta({ description: "Median duration in ms of the type's recent completed runs." }),
    activeRunId: z.uuid().nullable().meta({ description: "The pending or running run, when one holds the overlap slot." }),
    activeRunScheduledFor: z.string().nullable().meta({ description: "The start of the run holding the slot when it is a later run not yet due (ISO 8601)." }),
    payloadSchema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema of the payload (file fields take an InlineFile)." }),
  })
  .meta({ id: "JobType" });
export const jobTypeListSchema = z.object({ jobTypes: z.array(jobTypeSchema) }).meta({ id: "JobTypeList" });

export const runListItemSchema = z
  .object({
    id: z.uuid(),
    project: z.object({ slug: z.string(), name: z.string() }),
    jobType: z.string(),
    jobLabel: z.string(),
    status: runStatus,
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    queuedAt: z.string(),
    scheduledFor: z.string().nullable().meta({ description: "A later run not started yet: when it will." }),
    durationMs: z.number().nullable(),
    triggeredBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    resource: z.object({ type: z.string(), id: z.string() }).nullable(),
    error: z.string().nullable().meta({ description: "The last error message, redacted (an API key sees what a team member sees)." }),
  })
  .meta({ id: "RunListItem" });
export const runPageSchema = z
  .object({
    runs: z.array(runListItemSchema),
    nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next (older, or newer with sort=queued_asc) page." }),
    prevCursor: z.string().nullable(),
    count: z
      .object({ value: z.number().int(), exact: z.boolean(), lowerBound: z.boolean().optional() })
      .meta({ description: "Exact when small; otherwise an estimate, or with lowerBound at least this many." }),
    search: z
      .object({ read: z.number().int(), toward: z.enum(["older", "newer"]), more: z.enum(["next", "prev"]).nullable() })
      .optional()
      .meta({
        description:
          "Present when a search read only `read` runs for this page (a term too common to look up, too rare to fill a page from the newest runs): runs further `toward` may match too; follow the `more` cursor to search on, even when `runs` is empty.",
      }),
  })
  .meta({ id: "RunPage" });

const errorViewSchema = z
  .object({
    message: z.string(),
    type: z.string(),
    source: z.string(),
    subType: z.string(),
    severity: z.number(),
    retryable: z.boolean(),
    stack: z.string().nullable().meta({ description: "Only for keys created by instance support; null otherwise." }),
    reference: z.string(),
  })
  .meta({ id: "RunErrorView", description: "Redacted (secrets masked, no stack) unless the key's creator is instance support." });

export const runViewSchema = z
  .object({
    id: z.uuid(),
    projectSlug: z.string(),
    jobType: z.string(),
    jobLabel: z.string(),
    status: runStatus,
    terminal: z.boolean(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    progress: z.object({ processed: z.number().nullable(), total: z.number().nullable(), message: z.string().nullable(), percent: z.number().nullable() }),
    stage: z.string().nullable(),
    etaSeconds: z.number().nullable(),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    runAt: z.string(),
    scheduledFor: z.string().nullable().meta({ description: "A later run not started yet: when it will. Null once due, and for runs not scheduled." }),
    waitingForRetry: z.boolean().meta({ description: "Pending after a failed attempt, its next attempt due at `runAt`: POST .../retry-now starts it now." }),
    lastHeartbeat: z.string().nullable(),
    triggeredBy: z.string().nullable(),
    notify: z.boolean(),
    cancelRequested: z.boolean(),
    resource: z.object({ type: z.string(), id: z.string() }).nullable(),
    payload: z.unknown(),
    result: z.unknown(),
    resultFile: z.object({ id: z.string(), name: z.string() }).nullable(),
    error: errorViewSchema.nullable(),
    steps: z.array(
      z.object({
        id: z.string(),
        stepType: z.string(),
        status: z.string(),
        attempt: z.number().int(),
        durationMs: z.number().nullable(),
        createdAt: z.string(),
        error: z.object({ message: z.string(), type: z.string().nullable(), subType: z.string().nullable(), severity: z.number().nullable() }).nullable(),
      }),
    ),
    updatedAt: z.string(),
  })
  .meta({ id: "Run" });

export const triggeredRunSchema = runViewSchema
  .extend({ warnings: z.array(z.string()).describe('What the caller should know, e.g. "No worker is running Import contacts; the run will wait" (no live worker serves the job type). Empty when all is well.') })
  .meta({ id: "TriggeredRun", description: "The new run, and warnings about it." });

export const cancelResultSchema = z
  .object({ outcome: z.enum(["cancelled", "cancelling"]), run: runViewSchema })
  .meta({ id: "CancelResult", description: "`cancelled` at once when pending; `cancelling` while a running handler stops cooperatively." });

// ------------------------------------------------------------------------------------------
// The response schemas describe exactly what the DAL returns (compile-time checks).

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _ProjectMatches = Assert<Same<z.output<typeof projectSchema>, KeyProjectItem>>;
export type _RunItemMatches = Assert<Same<z.output<typeof runListItemSchema>, HistoryRow>>;
export type _RunViewMatches = Assert<RunView extends z.output<typeof runViewSchema> ? true : false>;
export type _JobTypeMatches = Assert<Same<Omit<z.output<typeof jobTypeSchema>, "payloadSchema">, JobTypeOverview>>;
