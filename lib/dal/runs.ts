import "server-only";
import { createHash } from "node:crypto";
import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { canInstance } from "@/lib/auth/permissions";
import { staleAfterSeconds } from "@/lib/config";
import { databaseUrl, getDatabase } from "@/lib/db/client";
import { auditEvents, files, jobRunCalls, jobRuns, jobRunSteps, users, workers, type AuditAction, type RunStatus } from "@/lib/db/schema";
import { listRunCalls, type RunCall } from "@/lib/jobs/web/run-calls";
import { getSendOnlyBoss } from "@/lib/jobs/boss";
import { cancelRun, type CancelOutcome } from "@/lib/jobs/web/cancel";
import { redriveRun, type RedriveOutcome } from "@/lib/jobs/web/redrive";
import { retryNow, type RetryNowOutcome } from "@/lib/jobs/web/retry-now";
import { getJobDefinition, MAX_IMPORT_BYTES, projectJobDefinitions } from "@/lib/jobs/catalog";
import type { Overlap } from "@/lib/jobs/define";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { triggerRun } from "@/lib/jobs/enqueue";
import { describePayload, prefillFields, type FormPayload, type PayloadField } from "@/lib/jobs/web/form";
import { ACTIVE_STATUSES, isTerminal } from "@/lib/jobs/lifecycle";
import { instanceLost } from "@/lib/jobs/liveness";
import { triggerWarnings } from "@/lib/jobs/worker-registry";
import { capText, errorView, MAX_ERROR_MESSAGE, publicErrorMessage, redactJson, redactText, type ErrorView } from "@/lib/jobs/redact";
import { failedAttemptFate } from "@/lib/jobs/retry";
import { recordAudit } from "@/lib/audit";
import { hasNul } from "@/lib/validation/safe-text";
import { scheduledFor } from "@/lib/runs/run-at";
import { AccessError, actorOf, requireProjectPermission, type ProjectAccess } from "./access";

export const HISTORY_PAGE_SIZE = 25;

const sendOnlyBoss = () => getSendOnlyBoss(databaseUrl());
/** Labels of registered job types (lib/jobs/registry) on pages may come from a read this old. */
const LABELS_MAX_AGE_MS = 10_000;

/** Whether the run exists in this project: a run of any other project is "not found". */
async function isProjectRun(access: ProjectAccess, runId: string): Promise<boolean> {
  if (!z.uuid().safeParse(runId).success) return false;
  const [run] = await getDatabase()
    .db.select({ id: jobRuns.id })
    .from(jobRuns)
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.projectId, access.project.id)));
  return run !== undefined;
}
const MAX_STEPS = 200;

// ---------------------------------------------------------------------------------------------
// Trigger

export type TriggerOutcome =
  /** warnings: e.g. no live worker serves the job type (the run waits for one). */
  | { ok: true; runId: string; warnings: string[] }
  | { ok: false; code: "invalid"; fieldErrors: Record<string, string[]> }
  | { ok: false; code: "already_active"; existingRunId: string; overlap: Overlap; message: string }
  | { ok: false; code: "unknown_job_type" };

/**
 * Validate a payload for a project job type and create the run with its queue job; `runAt` (already
 * checked by runAtSchema) makes it a later run that waits, pending and holding its overlap slot.
 */
export async function triggerProjectJob(slug: string, jobType: string, input: FormPayload, notify: boolean, options: { runAt?: Date | null } = {}): Promise<TriggerOutcome> {
  const access = await requireProjectPermission(slug, "jobs:write");
  // Types registered by other services' workers, as last registered: validation uses the latest schema.
  await loadRegisteredTypes(getDatabase().db);
  const def = getJobDefinition(jobType);
  if (!def || def.scope !== "project") return { ok: false, code: "unknown_job_type" };

  // Validate with a placeholder id for each upload: the real id exists only inside the transaction.
  const fileFields = describePayload(def).filter((f) => f.kind === "file");
  const fieldErrors: Record<string, string[]> = {};
  for (const field of fileFields) {
    const file = input.files[field.name];
    if (!file && field.required) fieldErrors[field.name] = ["Choose a file to upload."];
    else if (file && file.size > MAX_IMPORT_BYTES) fieldErrors[field.name] = [`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.`];
    else if (file && hasNul(file.name)) fieldErrors[field.name] = ["The file name contains a NUL character: rename the file and upload it again."];
  }
  const placeholders = Object.fromEntries(fileFields.filter((f) => input.files[f.name]).map((f) => [f.name, "00000000-0000-4000-8000-000000000000"]));
  const parsed = def.payload.safeParse({ ...input.values, ...placeholders });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "payload");
      if (!fieldErrors[key]) fieldErrors[key] = [issue.message];
    }
  }
  if (!parsed.success || Object.keys(fieldErrors).length > 0) return { ok: false, code: "invalid", fieldErrors };

  const { db } = getDatabase();
  const result = await triggerRun(db, await sendOnlyBoss(), {
    def,
    payload: parsed.data as Record<string, unknown>,
    teamId: access.project.teamId,
    projectId: access.project.id,
    triggeredBy: access.user.id,
    notify,
    runAt: options.runAt ?? null,
    prepare: async (tx) => {
      const ids: Record<string, string> = {};
      for (const field of fileFields) {
        const file = input.files[field.name];
        if (!file) continue;
        const content = Buffer.from(await file.arrayBuffer());
        // The same content under the same name is stored once, so it stays one resource (overlap
        // "resource": a second import of a file still importing is refused, not run twice).
        const [row] = await tx
          .insert(files)
          .values({
            projectId: access.project.id,
            name: file.name.slice(0, 200) || "upload",
            contentType: file.type || "application/octet-stream",
            sizeBytes: file.size,
            content,
            sha256: createHash("sha256").update(content).digest("hex"),
            createdBy: access.user.id,
          })
          .onConflictDoUpdate({ target: [files.projectId, files.name, files.sha256], targetWhere: sql`${files.sha256} is not null`, set: { sha256: sql`excluded.sha256` } })
          .returning({ id: files.id });
        if (row) ids[field.name] = row.id;
      }
      return ids;
    },
    onCreated: (tx, runId) => recordAudit(tx, { action: "run.triggered", actor: actorOf(access), teamId: access.project.teamId, runId, details: { jobType, notify, ...(options.runAt ? { runAt: options.runAt.toISOString() } : {}) } }),
  });
  if (!result.ok) return result;
  return { ok: true, runId: result.runId, warnings: await triggerWarnings(db, def) };
}

// ---------------------------------------------------------------------------------------------
// Job types overview

export type JobTypeOverview = {
  name: string;
  label: string;
  description: string;
  demo: boolean;
  /** `scheduledFor`: a later run not yet due, shown as Scheduled rather than Pending. */
  lastRun: { id: string; status: RunStatus; queuedAt: string; triggeredBy: string | null; scheduledFor: string | null } | null;
  /** Median duration of recent completed runs, when there are any. */
  typicalMs: number | null;
  activeRunId: string | null;
  /** When the run holding the slot is a later run not yet due: its start (the card says Scheduled, not Running now). */
  activeRunScheduledFor: string | null;
};

export async function getJobTypesOverview(slug: string): Promise<JobTypeOverview[]> {
  const access = await requireProjectPermission(slug, "jobs:read");
  await loadRegisteredTypes(getDatabase().db);
  const defs = projectJobDefinitions();
  const { db } = getDatabase();
  // One query for the newest run of every type: a LATERAL probe of one index entry per type,
  // however long the project's history.
  const types = sql.join(
    defs.map((d) => sql`(${d.name})`),
    sql`, `,
  );
  // The typical duration is the median of the completed runs among the type's last 200 runs:
  // bounded however many runs the type has.
  const latestRows = await db.execute<{ id: string; job_type: string; status: RunStatus; attempt_count: number; run_at: string | Date; queued_at: string | Date; triggered_by: string | null; typical_ms: number | null }>(sql`
    select r.id, t.job_type, r.status, r.attempt_count, r.run_at, r.queued_at, u.name as triggered_by,
      (select percentile_cont(0.5) within group (order by d.ms) from (
         select extract(epoch from (completed_at - started_at)) * 1000 as ms, status from job_runs
         where project_id = ${access.project.id} and job_type = t.job_type
         order by queued_at desc nulls last limit 200) d
       where d.status = 'completed' and d.ms is not null) as typical_ms
    from (values ${types}) as t(job_type)
    cross join lateral (
      select id, status, attempt_count, run_at, queued_at, triggered_by from job_runs
      where project_id = ${access.project.id} and job_type = t.job_type
      order by queued_at desc nulls last limit 1) r
    left join users u on u.id = r.triggered_by`);
  const latest = latestRows.map((r) => ({
    id: r.id,
    jobType: r.job_type,
    status: r.status,
    scheduledFor: scheduledFor({ status: r.status, attempts: r.attempt_count, runAt: new Date(r.run_at) }),
    queuedAt: new Date(r.queued_at),
    triggeredBy: r.triggered_by,
    typicalMs: r.typical_ms === null ? null : Math.round(Number(r.typical_ms)),
  }));
  const active = await db
    .select({ id: jobRuns.id, jobType: jobRuns.jobType, status: jobRuns.status, attempts: jobRuns.attemptCount, runAt: jobRuns.runAt })
    .from(jobRuns)
    .where(and(eq(jobRuns.projectId, access.project.id), inArray(jobRuns.status, ACTIVE_STATUSES)))
    .limit(100);
  return defs.map((d) => {
    const last = latest.find((r) => r.jobType === d.name);
    const holder = active.find((r) => r.jobType === d.name);
    return {
      name: d.name,
      label: d.label,
      description: d.description,
      demo: d.demo === true,
      lastRun: last ? { id: last.id, status: last.status, queuedAt: last.queuedAt.toISOString(), triggeredBy: last.triggeredBy, scheduledFor: last.scheduledFor } : null,
      typicalMs: last?.typicalMs ?? null,
      activeRunId: holder?.id ?? null,
      activeRunScheduledFor: holder ? scheduledFor(holder) : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// History (keyset-paginated)

export type RunListItem = {
  id: string;
  jobType: string;
  jobLabel: string;
  status: RunStatus;
  percent: number | null;
  attempts: number;
  queuedAt: string;
  /** A later run not yet due: when it starts. */
  scheduledFor: string | null;
  durationMs: number | null;
  triggeredBy: string | null;
};

export type RunPage = { rows: RunListItem[]; nextCursor: string | null };

const cursorSchema = z.object({ q: z.iso.datetime({ offset: true }), id: z.uuid() });

export function encodeCursor(queuedAt: Date, id: string): string {
  return Buffer.from(JSON.stringify({ q: queuedAt.toISOString(), id })).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): { queuedAt: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return parsed.success ? { queuedAt: new Date(parsed.data.q), id: parsed.data.id } : null;
  } catch {
    return null;
  }
}

/** Optional narrowing of a run list (the API's query; the history page has its own). */
export type RunListFilter = { status?: readonly RunStatus[]; jobType?: string };

/** A page of the project's runs, newest first; `cursor` continues after the last row shown. */
export async function listProjectRuns(slug: string, cursor?: string, filter: RunListFilter = {}): Promise<RunPage> {
  const access = await requireProjectPermission(slug, "jobs:read");
  await loadRegisteredTypes(getDatabase().db, { maxAgeMs: LABELS_MAX_AGE_MS });
  const after = decodeCursor(cursor);
  const { db } = getDatabase();
  const rows = await db
    .select({
      id: jobRuns.id,
      jobType: jobRuns.jobType,
      status: jobRuns.status,
      percent: jobRuns.progressPercent,
      attempts: jobRuns.attemptCount,
      queuedAt: jobRuns.queuedAt,
      runAt: jobRuns.runAt,
      startedAt: jobRuns.startedAt,
      completedAt: jobRuns.completedAt,
      triggeredBy: users.name,
    })
    .from(jobRuns)
    .leftJoin(users, eq(users.id, jobRuns.triggeredBy))
    .where(
      and(
        eq(jobRuns.projectId, access.project.id),
        filter.status?.length ? inArray(jobRuns.status, [...filter.status]) : undefined,
        filter.jobType ? eq(jobRuns.jobType, filter.jobType) : undefined,
        after ? or(lt(jobRuns.queuedAt, after.queuedAt), and(eq(jobRuns.queuedAt, after.queuedAt), lt(jobRuns.id, after.id))) : undefined,
      ),
    )
    .orderBy(sql`${jobRuns.queuedAt} desc nulls last`, sql`${jobRuns.id} desc nulls last`)
    .limit(HISTORY_PAGE_SIZE + 1);
  const page = rows.slice(0, HISTORY_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page.map((r) => ({
      id: r.id,
      jobType: r.jobType,
      jobLabel: getJobDefinition(r.jobType)?.label ?? r.jobType,
      status: r.status,
      percent: r.percent,
      attempts: r.attempts,
      queuedAt: r.queuedAt.toISOString(),
      scheduledFor: scheduledFor({ status: r.status, attempts: r.attempts, runAt: r.runAt }),
      durationMs: r.startedAt && r.completedAt ? r.completedAt.getTime() - r.startedAt.getTime() : null,
      triggeredBy: r.triggeredBy,
    })),
    nextCursor: rows.length > HISTORY_PAGE_SIZE && last ? encodeCursor(last.queuedAt, last.id) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// One run

export type StepView = {
  id: string;
  stepType: string;
  status: string;
  attempt: number;
  durationMs: number | null;
  createdAt: string;
  error: { message: string; type: string | null; subType: string | null; severity: number | null } | null;
};

/** One attempt: when it started, how it ended (`running` while under way), with what error. */
export type AttemptView = {
  number: number;
  startedAt: string | null;
  endedAt: string | null;
  status: string;
  durationMs: number | null;
  error: StepView["error"];
};

/** One try of an outbound call (ctx.fetch); URL, headers and bodies are stored redacted. */
export type CallView = {
  id: string;
  attempt: number;
  retry: number;
  method: string;
  url: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  createdAt: string;
};

/** Who triggered, cancelled or retried the run, and when. */
export type AuditView = { id: string; action: AuditAction; actor: string | null; at: string; outcome: string | null };

export type LostFate =
  | { outcome: "cancelled" }
  | { outcome: "retry"; nextAttempt: number; maxAttempts: number }
  | { outcome: "dead_letter"; attempt: number; maxAttempts: number }
  | { outcome: "failed" };

/** What recovery would make of this run if its worker were lost now (as failureOutcome decides). */
function lostFate(jobType: string, attempt: number, maxAttempts: number, cancelRequested: boolean): LostFate {
  if (cancelRequested) return { outcome: "cancelled" };
  const fate = failedAttemptFate(getJobDefinition(jobType)?.retry.limit ?? null, attempt, maxAttempts, true);
  if (fate === "retry") return { outcome: "retry", nextAttempt: attempt + 1, maxAttempts };
  if (fate === "dead_letter") return { outcome: "dead_letter", attempt, maxAttempts };
  return { outcome: "failed" };
}

export type RunView = {
  id: string;
  projectSlug: string;
  jobType: string;
  jobLabel: string;
  status: RunStatus;
  terminal: boolean;
  attempts: number;
  maxAttempts: number;
  progress: { processed: number | null; total: number | null; message: string | null; percent: number | null };
  stage: string | null;
  /** Seconds left when the view was built; `etaBasis` says from what. */
  etaSeconds: number | null;
  etaBasis: "progress" | "history" | null;
  queuedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** Start to finish, or start to now while it runs. */
  durationMs: number | null;
  runAt: string;
  /** A later run not started yet: when it will (null once due, and for other runs). */
  scheduledFor: string | null;
  /** Pending after a failed attempt with its next one not yet due: "Retry now" applies. */
  waitingForRetry: boolean;
  lastHeartbeat: string | null;
  /** Heartbeat age when the view was built (the page keeps counting between polls). */
  heartbeatAgeSeconds: number | null;
  /** A running run whose heartbeat is older than this has lost its worker. */
  staleAfterSeconds: number;
  /**
   * For a running run: whether its worker instance still answers (its liveness, not the run's
   * heartbeat); null when that worker never registered (one from before the registry).
   */
  workerAnswering: boolean | null;
  /** What recovery does with the run if its worker is lost. */
  ifLost: LostFate;
  triggeredBy: string | null;
  notify: boolean;
  cancelRequested: boolean;
  resource: { type: string; id: string } | null;
  payload: unknown;
  result: unknown;
  resultFile: { id: string; name: string } | null;
  error: ErrorView | null;
  steps: StepView[];
  attemptList: AttemptView[];
  calls: CallView[];
  /** More calls exist than the page shows. */
  callsTruncated: boolean;
  audit: AuditView[];
  updatedAt: string;
  /** When the view was built, for the page's own clock. */
  builtAt: string;
};

export const MAX_CALLS = 100;
const MAX_AUDIT = 50;
/** Completed runs of the same type the history-based ETA looks at. */
const ETA_SAMPLE = 20;

/** Remaining seconds from the rate so far; null until there is a rate to go on. */
function estimateEta(processed: number | null, total: number | null, startedAt: Date | null): number | null {
  if (!processed || !total || !startedAt || processed >= total) return null;
  const elapsed = (Date.now() - startedAt.getTime()) / 1000;
  return Math.max(0, Math.round((elapsed / processed) * (total - processed)));
}

/** Median duration in seconds of the job type's last completed runs in this project (index-bounded). */
export async function typicalDurationSeconds(projectId: string, jobType: string): Promise<number | null> {
  const [row] = await getDatabase().db.execute<{ median: number | null }>(sql`
    select percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at)) as median
    from (
      select started_at, completed_at from job_runs
      where project_id = ${projectId} and job_type = ${jobType} and status = 'completed' and started_at is not null and completed_at is not null
      order by queued_at desc nulls last limit ${ETA_SAMPLE}) recent`);
  return row?.median === null || row?.median === undefined ? null : Number(row.median);
}

/**
 * The attempts of a run: each ended attempt from its `attempt` step row (written when it ended,
 * with its duration), the one under way from the run row. Rows with status `started` are from
 * before migration 0008, when an attempt's start had a row of its own.
 */
function attemptsOf(steps: StepView[], current: { number: number; startedAt: Date | null } | null): AttemptView[] {
  const byNumber = new Map<number, AttemptView>();
  const attemptOf = (n: number) => byNumber.get(n) ?? { number: n, startedAt: null, endedAt: null, status: "started", durationMs: null, error: null };
  for (const s of steps) {
    if (s.stepType !== "attempt") continue;
    const a = attemptOf(s.attempt);
    if (s.status === "started") a.startedAt = s.createdAt;
    else {
      a.endedAt = s.createdAt;
      a.status = s.status;
      a.durationMs = s.durationMs;
      a.error = s.error;
      a.startedAt ??= s.durationMs === null ? null : new Date(Date.parse(s.createdAt) - s.durationMs).toISOString();
    }
    byNumber.set(s.attempt, a);
  }
  if (current && !byNumber.get(current.number)?.endedAt) {
    const a = attemptOf(current.number);
    a.status = "running";
    a.startedAt = current.startedAt?.toISOString() ?? a.startedAt;
    byNumber.set(current.number, a);
  }
  return [...byNumber.values()].sort((x, y) => x.number - y.number);
}

export async function getRunView(slug: string, runId: string): Promise<RunView | null> {
  const access = await requireProjectPermission(slug, "jobs:read");
  await loadRegisteredTypes(getDatabase().db, { maxAgeMs: LABELS_MAX_AGE_MS });
  return (await buildRunView(access.project, access.unredacted, runId))?.view ?? null;
}

/** Registered job types' labels, as fresh as pages need them (the poll's full view). */
export function loadJobLabels(): Promise<void> {
  return loadRegisteredTypes(getDatabase().db, { maxAgeMs: LABELS_MAX_AGE_MS });
}

/** The parts of a run the poll's version names (lib/dal/run-poll.ts), as the view was built from them. */
export type RunVersionParts = { updatedMs: number; heartbeatMs: number; status: RunStatus; attempt: number; cancel: boolean; stepsMs: number; callsMs: number };

/** Masks text for tenants (cut first: an older row's value may be long, and no read may take longer for it). */
export function textFor(unredacted: boolean): (value: string) => string {
  return (value) => (unredacted ? value : redactText(capText(value, MAX_ERROR_MESSAGE)));
}

export function stepView(s: typeof jobRunSteps.$inferSelect, unredacted: boolean): StepView {
  return {
    id: s.id,
    stepType: s.stepType,
    status: s.status,
    attempt: s.attemptNumber,
    durationMs: s.durationMs,
    createdAt: s.createdAt.toISOString(),
    error: s.errorMessage ? { message: unredacted ? s.errorMessage : (s.errorMessagePublic ?? publicErrorMessage(s.errorMessage)), type: s.errorType, subType: s.errorSubType, severity: s.errorSeverity } : null,
  };
}

/** Stored redacted by the worker (`redacted`); a row without that mark is masked for tenants here. */
export function callView(c: RunCall, unredacted: boolean): CallView {
  const text = textFor(unredacted);
  const callText = (value: string) => (c.redacted ? value : text(value));
  return {
    id: c.id,
    attempt: c.attempt,
    retry: c.retry,
    method: c.method,
    url: callText(c.url),
    status: c.responseStatus,
    durationMs: c.durationMs,
    error: c.error === null ? null : callText(c.error),
    requestHeaders: unredacted || c.redacted ? c.requestHeaders : (redactJson(c.requestHeaders) as Record<string, string>),
    requestBody: c.requestBody === null ? null : callText(c.requestBody),
    responseHeaders: c.responseHeaders === null || unredacted || c.redacted ? c.responseHeaders : (redactJson(c.responseHeaders) as Record<string, string>),
    responseBody: c.responseBody === null ? null : callText(c.responseBody),
    createdAt: c.createdAt.toISOString(),
  };
}

/** Seconds left from the rate so far, or else from the type's typical duration; and on what basis. */
export function etaOf(
  r: { status: RunStatus; progressProcessed: number | null; progressTotal: number | null; startedAt: Date | null },
  typical: number | null,
  now: number,
): { etaSeconds: number | null; etaBasis: RunView["etaBasis"] } {
  const progressEta = r.status === "running" ? estimateEta(r.progressProcessed, r.progressTotal, r.startedAt) : null;
  const elapsed = r.startedAt && r.status === "running" ? (now - r.startedAt.getTime()) / 1000 : 0;
  // Only a started run has time left: a queued or scheduled one has not begun its typical duration.
  const historyEta = progressEta === null && typical !== null && r.status === "running" ? Math.max(0, Math.round(typical - elapsed)) : null;
  return { etaSeconds: progressEta ?? historyEta, etaBasis: progressEta !== null ? "progress" : historyEta !== null ? "history" : null };
}

/**
 * The run's page view for a caller who may read the project (checked by the caller); also the
 * version it was built from, for the poll. Tenants get the redacted view, support the raw one.
 */
export async function buildRunView(project: { id: string; slug: string }, unredacted: boolean, runId: string): Promise<{ view: RunView; version: RunVersionParts } | null> {
  if (!z.uuid().safeParse(runId).success) return null;
  const { db } = getDatabase();
  const [run] = await db
    .select({ run: jobRuns, triggeredBy: users.name })
    .from(jobRuns)
    .leftJoin(users, eq(users.id, jobRuns.triggeredBy))
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.projectId, project.id)));
  if (!run) return null;
  const r = run.run;
  const text = textFor(unredacted);
  // The newest steps (a long run's last attempt matters most), shown oldest first; the call log
  // and the audit trail, each bounded and read by its run index, in parallel.
  const [stepRows, callRows, lastCallAt, auditRows, typical, instance] = await Promise.all([
    db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, r.id)).orderBy(desc(jobRunSteps.createdAt), desc(jobRunSteps.id)).limit(MAX_STEPS),
    listRunCalls(db, r.id, MAX_CALLS + 1),
    // The version names the newest call even when the page shows only the first MAX_CALLS.
    db
      .select({ at: sql<Date | null>`max(${jobRunCalls.createdAt})`.mapWith(jobRunCalls.createdAt) })
      .from(jobRunCalls)
      .where(eq(jobRunCalls.runId, r.id))
      .then(([row]) => row?.at ?? null),
    db
      .select({ id: auditEvents.id, action: auditEvents.action, actor: users.name, at: auditEvents.createdAt, details: auditEvents.details })
      .from(auditEvents)
      .leftJoin(users, eq(users.id, auditEvents.actorUserId))
      .where(eq(auditEvents.runId, r.id))
      .orderBy(asc(auditEvents.createdAt), asc(auditEvents.id))
      .limit(MAX_AUDIT),
    // History-based ETA only when progress cannot tell (no total yet).
    !isTerminal(r.status) && !r.progressTotal ? typicalDurationSeconds(project.id, r.jobType) : Promise.resolve(null),
    r.status === "running" && r.workerId ? workerInstance(r.workerId) : Promise.resolve(null),
  ]);
  const steps: StepView[] = stepRows.reverse().map((s) => stepView(s, unredacted));
  const now = Date.now();
  const fileId = typeof r.result?.fileId === "string" ? r.result.fileId : null;
  const fileName = typeof r.result?.fileName === "string" ? r.result.fileName : "export.csv";
  const view: RunView = {
    id: r.id,
    projectSlug: project.slug,
    jobType: r.jobType,
    jobLabel: getJobDefinition(r.jobType)?.label ?? r.jobType,
    status: r.status,
    terminal: isTerminal(r.status),
    attempts: r.attemptCount,
    maxAttempts: r.maxAttempts,
    progress: { processed: r.progressProcessed, total: r.progressTotal, message: r.progressMessage ? text(r.progressMessage) : null, percent: r.progressPercent },
    stage: r.currentStage,
    ...etaOf(r, typical, now),
    queuedAt: r.queuedAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    completedAt: r.completedAt?.toISOString() ?? null,
    durationMs: r.startedAt ? (r.completedAt ?? new Date(now)).getTime() - r.startedAt.getTime() : null,
    runAt: r.runAt.toISOString(),
    scheduledFor: scheduledFor({ status: r.status, attempts: r.attemptCount, runAt: r.runAt }, now),
    waitingForRetry: r.status === "pending" && r.attemptCount > 0 && r.runAt.getTime() > now,
    lastHeartbeat: r.lastHeartbeat?.toISOString() ?? null,
    heartbeatAgeSeconds: r.lastHeartbeat ? Math.max(0, Math.round((now - r.lastHeartbeat.getTime()) / 1000)) : null,
    staleAfterSeconds: staleAfterSeconds(),
    workerAnswering: instance ? !instanceLost(instance, now) : null,
    ifLost: lostFate(r.jobType, r.attemptCount, r.maxAttempts, r.cancelRequestedAt !== null),
    triggeredBy: run.triggeredBy,
    notify: r.notify,
    cancelRequested: r.cancelRequestedAt !== null,
    resource: r.resourceType && r.resourceId ? { type: r.resourceType, id: r.resourceId } : null,
    // Tenants read the copies redacted when the run was written (older rows: redacted now).
    payload: unredacted ? r.payload : (r.payloadPublic ?? redactJson(r.payload)),
    result: unredacted ? r.result : (r.resultPublic ?? (r.result === null ? null : redactJson(r.result))),
    resultFile: fileId ? { id: fileId, name: fileName } : null,
    error: r.error ? errorView(r.error, r.id, unredacted, r.errorMessagePublic) : null,
    steps,
    attemptList: attemptsOf(steps, r.status === "running" ? { number: r.attemptCount, startedAt: r.attemptStartedAt } : null),
    calls: callRows.slice(0, MAX_CALLS).map((c) => callView(c, unredacted)),
    callsTruncated: callRows.length > MAX_CALLS,
    audit: auditRows.map((e) => ({ id: e.id, action: e.action, actor: e.actor, at: e.at.toISOString(), outcome: typeof e.details.outcome === "string" ? e.details.outcome : null })),
    updatedAt: r.updatedAt.toISOString(),
    builtAt: new Date(now).toISOString(),
  };
  const version: RunVersionParts = {
    updatedMs: r.updatedAt.getTime(),
    heartbeatMs: r.lastHeartbeat?.getTime() ?? 0,
    status: r.status,
    attempt: r.attemptCount,
    cancel: r.cancelRequestedAt !== null,
    stepsMs: stepRows.at(-1)?.createdAt.getTime() ?? 0,
    callsMs: lastCallAt?.getTime() ?? 0,
  };
  return { view, version };
}

/** The liveness of the worker instance running a run (null when it never registered). */
export async function workerInstance(workerId: string): Promise<Parameters<typeof instanceLost>[0] | null> {
  const [row] = await getDatabase()
    .db.select({ lastSeenAt: workers.lastSeenAt, heartbeatSeconds: workers.heartbeatSeconds, stoppedAt: workers.stoppedAt })
    .from(workers)
    .where(eq(workers.id, workerId));
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------
// Files

export async function getProjectFile(slug: string, fileId: string): Promise<{ name: string; contentType: string; content: Buffer } | null> {
  const access = await requireProjectPermission(slug, "jobs:read");
  if (!z.uuid().safeParse(fileId).success) return null;
  const { db } = getDatabase();
  const [file] = await db
    .select({ name: files.name, contentType: files.contentType, content: files.content })
    .from(files)
    .where(and(eq(files.id, fileId), eq(files.projectId, access.project.id)));
  return file ?? null;
}

// ---------------------------------------------------------------------------------------------
// Cancel

/** Cancel a run of the project (jobs:write): at once when pending, cooperatively when running. */
export async function cancelProjectRun(slug: string, runId: string): Promise<CancelOutcome> {
  const access = await requireProjectPermission(slug, "jobs:write");
  if (!(await isProjectRun(access, runId))) return { outcome: "not_found" };
  const { db } = getDatabase();
  const outcome = await cancelRun(db, await sendOnlyBoss(), runId, access.user.id);
  if (outcome.outcome === "cancelled" || outcome.outcome === "cancelling") {
    await recordAudit(db, { action: "run.cancelled", actor: actorOf(access), teamId: access.project.teamId, runId, details: { outcome: outcome.outcome } });
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Re-drive

/** Re-drive a dead-lettered or failed run: team members with jobs:write, or instance support. */
export async function redriveProjectRun(slug: string, runId: string): Promise<RedriveOutcome> {
  const access = await requireProjectPermission(slug, "jobs:read");
  await loadRegisteredTypes(getDatabase().db);
  if (!canRedrive(access)) throw new AccessError("forbidden");
  if (!(await isProjectRun(access, runId))) return { ok: false, code: "not_found" };
  const { db } = getDatabase();
  const outcome = await redriveRun(db, await sendOnlyBoss(), runId, access.user.id);
  if (outcome.ok) await recordAudit(db, { action: "run.retried", actor: actorOf(access), teamId: access.project.teamId, runId });
  return outcome;
}

export function canRedrive(access: ProjectAccess): boolean {
  return access.permissions.has("jobs:write") || canInstance(access.user.instanceRole, "runs:retry-all");
}

// ---------------------------------------------------------------------------------------------
// Retry now

/** Skip a pending retry's backoff wait (jobs:write); audited in the same transaction. */
export async function retryNowProjectRun(slug: string, runId: string): Promise<RetryNowOutcome> {
  const access = await requireProjectPermission(slug, "jobs:write");
  if (!(await isProjectRun(access, runId))) return { ok: false, code: "not_found" };
  const { db } = getDatabase();
  return retryNow(db, await sendOnlyBoss(), runId, (tx) => recordAudit(tx, { action: "run.retry_now", actor: actorOf(access), teamId: access.project.teamId, runId }));
}

// ---------------------------------------------------------------------------------------------
// Run again with changes

export type RerunDraft = {
  runId: string;
  jobType: string;
  jobLabel: string;
  /** The Run form's fields, prefilled with what this user may see of the run's payload. */
  fields: PayloadField[];
  /** Fields whose earlier value was redacted for this user: left empty, never prefilled. */
  withheld: string[];
  /** File fields are not carried over (a browser cannot preset a file input). */
  hasFileFields: boolean;
};

/**
 * The Run form for a run's job type, prefilled with its payload (jobs:write). Tenants get only
 * what they could read on the run page: a field whose stored value differs from its redacted copy
 * (a secret, or text with a secret in it) is withheld, not prefilled with its mask.
 */
export async function getRerunDraft(slug: string, runId: string): Promise<RerunDraft | null> {
  const access = await requireProjectPermission(slug, "jobs:write");
  await loadRegisteredTypes(getDatabase().db);
  if (!z.uuid().safeParse(runId).success) return null;
  const [run] = await getDatabase()
    .db.select({ jobType: jobRuns.jobType, payload: jobRuns.payload, payloadPublic: jobRuns.payloadPublic })
    .from(jobRuns)
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.projectId, access.project.id)));
  if (!run) return null;
  const def = getJobDefinition(run.jobType);
  if (!def || def.scope !== "project") return null;
  const visible = access.unredacted ? run.payload : ((run.payloadPublic ?? redactJson(run.payload)) as Record<string, unknown>);
  const fields = describePayload(def);
  const withheld = access.unredacted ? [] : fields.filter((f) => f.name in run.payload && JSON.stringify(run.payload[f.name]) !== JSON.stringify(visible[f.name])).map((f) => f.name);
  const shown = Object.fromEntries(Object.entries(visible).filter(([name]) => !withheld.includes(name)));
  return { runId, jobType: def.name, jobLabel: def.label, fields: prefillFields(fields, shown), withheld, hasFileFields: fields.some((f) => f.kind === "file") };
}
