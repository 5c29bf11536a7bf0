import "server-only";
import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { databaseUrl, getDatabase } from "@/lib/db/client";
import { files, jobRuns, jobRunSteps, users, type RunStatus } from "@/lib/db/schema";
import { getSendOnlyBoss } from "@/lib/jobs/boss";
import { cancelRun, type CancelOutcome } from "@/lib/jobs/cancel";
import { redriveRun, type RedriveOutcome } from "@/lib/jobs/redrive";
import { getJobDefinition, MAX_IMPORT_BYTES, projectJobDefinitions } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { describePayload, type FormPayload } from "@/lib/jobs/form";
import { ACTIVE_STATUSES, isTerminal } from "@/lib/jobs/lifecycle";
import { errorView, redactJson, redactText, type ErrorView } from "@/lib/jobs/redact";
import { recordAudit } from "@/lib/audit";
import { AccessError, actorOf, requireProjectPermission, type ProjectAccess } from "./access";

export const HISTORY_PAGE_SIZE = 25;

const sendOnlyBoss = () => getSendOnlyBoss(databaseUrl());

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
  | { ok: true; runId: string }
  | { ok: false; code: "invalid"; fieldErrors: Record<string, string[]> }
  | { ok: false; code: "already_active"; existingRunId: string }
  | { ok: false; code: "unknown_job_type" };

/** Validate a payload for a project job type and create the run with its queue job. */
export async function triggerProjectJob(slug: string, jobType: string, input: FormPayload, notify: boolean): Promise<TriggerOutcome> {
  const access = await requireProjectPermission(slug, "jobs:write");
  const def = getJobDefinition(jobType);
  if (!def || def.scope !== "project") return { ok: false, code: "unknown_job_type" };

  // Validate with a placeholder id for each upload: the real id exists only inside the transaction.
  const fileFields = describePayload(def).filter((f) => f.kind === "file");
  const fieldErrors: Record<string, string[]> = {};
  for (const field of fileFields) {
    const file = input.files[field.name];
    if (!file && field.required) fieldErrors[field.name] = ["Choose a file to upload."];
    else if (file && file.size > MAX_IMPORT_BYTES) fieldErrors[field.name] = [`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.`];
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
    prepare: async (tx) => {
      const ids: Record<string, string> = {};
      for (const field of fileFields) {
        const file = input.files[field.name];
        if (!file) continue;
        const [row] = await tx
          .insert(files)
          .values({
            projectId: access.project.id,
            name: file.name.slice(0, 200) || "upload",
            contentType: file.type || "application/octet-stream",
            sizeBytes: file.size,
            content: Buffer.from(await file.arrayBuffer()),
            createdBy: access.user.id,
          })
          .returning({ id: files.id });
        if (row) ids[field.name] = row.id;
      }
      return ids;
    },
    onCreated: (tx, runId) => recordAudit(tx, { action: "run.triggered", actor: actorOf(access), teamId: access.project.teamId, runId, details: { jobType, notify } }),
  });
  return result.ok ? result : { ok: false, code: "already_active", existingRunId: result.existingRunId };
}

// ---------------------------------------------------------------------------------------------
// Job types overview

export type JobTypeOverview = {
  name: string;
  label: string;
  description: string;
  demo: boolean;
  lastRun: { id: string; status: RunStatus; queuedAt: string; triggeredBy: string | null } | null;
  activeRunId: string | null;
};

export async function getJobTypesOverview(slug: string): Promise<JobTypeOverview[]> {
  const access = await requireProjectPermission(slug, "jobs:read");
  const defs = projectJobDefinitions();
  const { db } = getDatabase();
  // One query for the newest run of every type: a LATERAL probe of one index entry per type,
  // however long the project's history.
  const types = sql.join(
    defs.map((d) => sql`(${d.name})`),
    sql`, `,
  );
  const latestRows = await db.execute<{ id: string; job_type: string; status: RunStatus; queued_at: string | Date; triggered_by: string | null }>(sql`
    select r.id, t.job_type, r.status, r.queued_at, u.name as triggered_by
    from (values ${types}) as t(job_type)
    cross join lateral (
      select id, status, queued_at, triggered_by from job_runs
      where project_id = ${access.project.id} and job_type = t.job_type
      order by queued_at desc limit 1) r
    left join users u on u.id = r.triggered_by`);
  const latest = latestRows.map((r) => ({ id: r.id, jobType: r.job_type, status: r.status, queuedAt: new Date(r.queued_at), triggeredBy: r.triggered_by }));
  const active = await db
    .select({ id: jobRuns.id, jobType: jobRuns.jobType })
    .from(jobRuns)
    .where(and(eq(jobRuns.projectId, access.project.id), inArray(jobRuns.status, ACTIVE_STATUSES)))
    .limit(100);
  return defs.map((d) => {
    const last = latest.find((r) => r.jobType === d.name);
    return {
      name: d.name,
      label: d.label,
      description: d.description,
      demo: d.demo === true,
      lastRun: last ? { id: last.id, status: last.status, queuedAt: last.queuedAt.toISOString(), triggeredBy: last.triggeredBy } : null,
      activeRunId: active.find((r) => r.jobType === d.name)?.id ?? null,
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
  durationMs: number | null;
  triggeredBy: string | null;
};

export type RunPage = { rows: RunListItem[]; nextCursor: string | null };

const cursorSchema = z.object({ q: z.iso.datetime({ offset: true }), id: z.uuid() });

export function encodeCursor(queuedAt: Date, id: string): string {
  return Buffer.from(JSON.stringify({ q: queuedAt.toISOString(), id })).toString("base64url");
}

function decodeCursor(cursor: string | undefined): { queuedAt: Date; id: string } | null {
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
    .orderBy(desc(jobRuns.queuedAt), desc(jobRuns.id))
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
  etaSeconds: number | null;
  queuedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** Start to finish, or start to now while it runs. */
  durationMs: number | null;
  runAt: string;
  lastHeartbeat: string | null;
  triggeredBy: string | null;
  notify: boolean;
  cancelRequested: boolean;
  resource: { type: string; id: string } | null;
  payload: unknown;
  result: unknown;
  resultFile: { id: string; name: string } | null;
  error: ErrorView | null;
  steps: StepView[];
  updatedAt: string;
};

/** Remaining seconds from the rate so far; null until there is a rate to go on. */
function estimateEta(processed: number | null, total: number | null, startedAt: Date | null): number | null {
  if (!processed || !total || !startedAt || processed >= total) return null;
  const elapsed = (Date.now() - startedAt.getTime()) / 1000;
  return Math.max(0, Math.round((elapsed / processed) * (total - processed)));
}

export async function getRunView(slug: string, runId: string): Promise<RunView | null> {
  const access = await requireProjectPermission(slug, "jobs:read");
  if (!z.uuid().safeParse(runId).success) return null;
  const { db } = getDatabase();
  const [run] = await db
    .select({ run: jobRuns, triggeredBy: users.name })
    .from(jobRuns)
    .leftJoin(users, eq(users.id, jobRuns.triggeredBy))
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.projectId, access.project.id)));
  if (!run) return null;
  const r = run.run;
  // The newest steps (a long run's last attempt matters most), shown oldest first.
  const steps = (
    await db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, r.id)).orderBy(desc(jobRunSteps.createdAt), desc(jobRunSteps.id)).limit(MAX_STEPS)
  ).reverse();
  const fileId = typeof r.result?.fileId === "string" ? r.result.fileId : null;
  const fileName = typeof r.result?.fileName === "string" ? r.result.fileName : "export.csv";
  return {
    id: r.id,
    projectSlug: access.project.slug,
    jobType: r.jobType,
    jobLabel: getJobDefinition(r.jobType)?.label ?? r.jobType,
    status: r.status,
    terminal: isTerminal(r.status),
    attempts: r.attemptCount,
    maxAttempts: r.maxAttempts,
    progress: { processed: r.progressProcessed, total: r.progressTotal, message: r.progressMessage && !access.unredacted ? redactText(r.progressMessage) : r.progressMessage, percent: r.progressPercent },
    stage: r.currentStage,
    etaSeconds: r.status === "running" ? estimateEta(r.progressProcessed, r.progressTotal, r.startedAt) : null,
    queuedAt: r.queuedAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    completedAt: r.completedAt?.toISOString() ?? null,
    durationMs: r.startedAt ? (r.completedAt ?? new Date()).getTime() - r.startedAt.getTime() : null,
    runAt: r.runAt.toISOString(),
    lastHeartbeat: r.lastHeartbeat?.toISOString() ?? null,
    triggeredBy: run.triggeredBy,
    notify: r.notify,
    cancelRequested: r.cancelRequestedAt !== null,
    resource: r.resourceType && r.resourceId ? { type: r.resourceType, id: r.resourceId } : null,
    payload: access.unredacted ? r.payload : redactJson(r.payload),
    result: access.unredacted ? r.result : redactJson(r.result),
    resultFile: fileId ? { id: fileId, name: fileName } : null,
    error: r.error ? errorView(r.error, r.id, access.unredacted) : null,
    steps: steps.map((s) => ({
      id: s.id,
      stepType: s.stepType,
      status: s.status,
      attempt: s.attemptNumber,
      durationMs: s.durationMs,
      createdAt: s.createdAt.toISOString(),
      error: s.errorMessage
        ? { message: access.unredacted ? s.errorMessage : redactText(s.errorMessage), type: s.errorType, subType: s.errorSubType, severity: s.errorSeverity }
        : null,
    })),
    updatedAt: r.updatedAt.toISOString(),
  };
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

/** For polling: the run's version, so an unchanged run answers 304 without building the view. */
export async function getRunVersion(slug: string, runId: string): Promise<string | null> {
  const access = await requireProjectPermission(slug, "jobs:read");
  if (!z.uuid().safeParse(runId).success) return null;
  const { db } = getDatabase();
  const [row] = await db
    .select({ updatedAt: jobRuns.updatedAt, heartbeat: jobRuns.lastHeartbeat, status: jobRuns.status })
    .from(jobRuns)
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.projectId, access.project.id)));
  return row ? `"${row.updatedAt.getTime()}-${row.heartbeat?.getTime() ?? 0}-${row.status}-${access.unredacted ? "s" : "t"}"` : null;
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
  if (!canRedrive(access)) throw new AccessError("forbidden");
  if (!(await isProjectRun(access, runId))) return { ok: false, code: "not_found" };
  const { db } = getDatabase();
  const outcome = await redriveRun(db, await sendOnlyBoss(), runId, access.user.id);
  if (outcome.ok) await recordAudit(db, { action: "run.retried", actor: actorOf(access), teamId: access.project.teamId, runId });
  return outcome;
}

export function canRedrive(access: ProjectAccess): boolean {
  return access.permissions.has("jobs:write") || access.user.instanceRole === "support";
}
