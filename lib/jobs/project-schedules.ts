import { and, asc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { recordAudit, type Actor } from "@/lib/audit";
import type { Db, Tx } from "@/lib/db/client";
import { jobRuns, projectSchedules, type RunStatus, type TickOutcomeKind } from "@/lib/db/schema";
import { nulPaths } from "@/lib/validation/safe-text";
import { PROJECT_CRON_QUEUE } from "./boss";
import { bossTx } from "./boss-tx";
import { getJobDefinition } from "./catalog";
import { checkCron, nextCronRun } from "./cron";
import type { JobDefinition } from "./define";

export { PROJECT_CRON_QUEUE };
export type ProjectCronTickData = { scheduleId: string };

/** A project has at most one schedule per job type; the job-type list bounds the rest. */
export const MAX_SCHEDULES_PER_PROJECT = 100;
/** A stored payload is a few ids and numbers; this caps what a form or API body may store. */
export const MAX_SCHEDULE_PAYLOAD_BYTES = 16 * 1024;

export type ProjectScheduleView = {
  id: string;
  jobType: string;
  label: string;
  cron: string;
  payload: Record<string, unknown>;
  paused: boolean;
  pausedAt: string | null;
  /** When pg-boss next fires it (UTC); null while paused. */
  nextRunAt: string | null;
  lastTickAt: string | null;
  lastOutcome: TickOutcomeKind | null;
  lastRun: { id: string; status: RunStatus } | null;
  skippedCount: number;
  lastSkippedAt: string | null;
};

export type ScheduleRefusal = { ok: false; code: "invalid" | "unknown_job_type" | "not_found" | "unchanged"; message: string; fieldErrors?: Record<string, string[]> };
export type ScheduleChange = { ok: true; schedule: ProjectScheduleView } | ScheduleRefusal;

/** Who changes a schedule and for which project; every change is audited in its own transaction. */
export type ScheduleScope = { projectId: string; teamId: string; actor: Actor };

const iso = (d: Date | null) => d?.toISOString() ?? null;

function cronOptions(scheduleId: string, tx: Tx) {
  return { key: scheduleId, tz: "UTC", missed: "skip" as const, db: bossTx(tx) };
}

/** The project job type a schedule may name. */
function projectJob(jobType: unknown): JobDefinition | null {
  const def = typeof jobType === "string" ? getJobDefinition(jobType) : undefined;
  return def && def.scope === "project" ? def : null;
}

/**
 * Validate what a person asked for: a project job type, a five-field cron, and a payload (the job's
 * defaults when absent) that the job's zod schema accepts. Nothing is written.
 */
export function checkScheduleInput(input: { jobType: unknown; cron: unknown; payload?: unknown }): { ok: true; def: JobDefinition; cron: string; payload: Record<string, unknown> } | ScheduleRefusal {
  const def = projectJob(input.jobType);
  if (!def) return { ok: false, code: "unknown_job_type", message: "That job type does not exist or cannot be scheduled for a project." };
  const fieldErrors: Record<string, string[]> = {};
  const cron = checkCron(input.cron);
  if (!cron.ok) fieldErrors.cron = [cron.message];
  const raw = input.payload ?? {};
  let payload: Record<string, unknown> | null = null;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fieldErrors.payload = ["The payload must be a JSON object."];
  else if (nulPaths(raw).length > 0) fieldErrors.payload = ["The payload must not contain a NUL character (\\u0000)."];
  else if (JSON.stringify(raw).length > MAX_SCHEDULE_PAYLOAD_BYTES) fieldErrors.payload = [`The payload is at most ${MAX_SCHEDULE_PAYLOAD_BYTES / 1024} KB of JSON.`];
  else {
    const parsed = def.payload.safeParse(raw);
    if (parsed.success) payload = parsed.data as Record<string, unknown>;
    else fieldErrors.payload = parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`);
  }
  if (!cron.ok || !payload) return { ok: false, code: "invalid", message: "Please correct the highlighted fields.", fieldErrors };
  return { ok: true, def, cron: cron.cron, payload };
}

type Row = typeof projectSchedules.$inferSelect;

function toView(row: Row, lastRun: { id: string; status: RunStatus } | null): ProjectScheduleView {
  return {
    id: row.id,
    jobType: row.jobType,
    label: getJobDefinition(row.jobType)?.label ?? row.jobType,
    cron: row.cron,
    payload: row.payload,
    paused: row.pausedAt !== null,
    pausedAt: iso(row.pausedAt),
    nextRunAt: row.pausedAt ? null : iso(nextCronRun(row.cron)),
    lastTickAt: iso(row.lastTickAt),
    lastOutcome: row.lastOutcome,
    lastRun,
    skippedCount: row.skippedCount,
    lastSkippedAt: iso(row.lastSkippedAt),
  };
}

/** A project's schedules by job type, with each last run's status in one more query. */
export async function listProjectSchedules(db: Db, projectId: string): Promise<ProjectScheduleView[]> {
  const rows = await db.select().from(projectSchedules).where(eq(projectSchedules.projectId, projectId)).orderBy(asc(projectSchedules.jobType)).limit(MAX_SCHEDULES_PER_PROJECT);
  const runIds = rows.flatMap((r) => (r.lastRunId ? [r.lastRunId] : []));
  const runs = runIds.length ? await db.select({ id: jobRuns.id, status: jobRuns.status }).from(jobRuns).where(inArray(jobRuns.id, runIds)) : [];
  const byId = new Map(runs.map((r) => [r.id, r]));
  return rows.map((r) => toView(r, r.lastRunId ? (byId.get(r.lastRunId) ?? null) : null));
}

/**
 * Create or change a project's schedule for a job type. The row and pg-boss's cron are written in
 * one transaction, so a failure leaves neither; a paused schedule stays paused (pg-boss holds no
 * cron for it until resumed).
 */
export async function setProjectSchedule(db: Db, boss: PgBoss, scope: ScheduleScope, input: { jobType: unknown; cron: unknown; payload?: unknown }): Promise<ScheduleChange> {
  const checked = checkScheduleInput(input);
  if (!checked.ok) return checked;
  const { def, cron, payload } = checked;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(projectSchedules)
      .values({ projectId: scope.projectId, jobType: def.name, cron, payload, createdBy: scope.actor.userId })
      .onConflictDoUpdate({ target: [projectSchedules.projectId, projectSchedules.jobType], set: { cron, payload, updatedAt: sql`now()` } })
      .returning();
    if (!row) throw new Error("schedule upsert returned nothing");
    if (!row.pausedAt) await boss.schedule(PROJECT_CRON_QUEUE, cron, { scheduleId: row.id } satisfies ProjectCronTickData, cronOptions(row.id, tx));
    await recordAudit(tx, { action: "schedule.set", actor: scope.actor, teamId: scope.teamId, details: { jobType: def.name, cron, projectId: scope.projectId } });
    return { ok: true, schedule: toView(row, null) };
  });
}

/** Pause (pg-boss forgets the cron; the row remembers it) or resume a project's schedule. */
export async function setProjectSchedulePaused(db: Db, boss: PgBoss, scope: ScheduleScope, jobType: unknown, paused: boolean): Promise<ScheduleChange> {
  const def = projectJob(jobType);
  if (!def) return { ok: false, code: "not_found", message: "That schedule no longer exists." };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(projectSchedules)
      .set({ pausedAt: paused ? sql`now()` : null, updatedAt: sql`now()` })
      .where(and(eq(projectSchedules.projectId, scope.projectId), eq(projectSchedules.jobType, def.name), paused ? isNull(projectSchedules.pausedAt) : isNotNull(projectSchedules.pausedAt)))
      .returning();
    if (!row) {
      const [exists] = await tx.select({ id: projectSchedules.id }).from(projectSchedules).where(and(eq(projectSchedules.projectId, scope.projectId), eq(projectSchedules.jobType, def.name)));
      return exists
        ? { ok: false, code: "unchanged", message: paused ? "That schedule is already paused." : "That schedule is already running." }
        : { ok: false, code: "not_found", message: "That schedule no longer exists." };
    }
    if (paused) await boss.unschedule(PROJECT_CRON_QUEUE, row.id, { db: bossTx(tx) });
    else await boss.schedule(PROJECT_CRON_QUEUE, row.cron, { scheduleId: row.id } satisfies ProjectCronTickData, cronOptions(row.id, tx));
    await recordAudit(tx, { action: paused ? "schedule.paused" : "schedule.resumed", actor: scope.actor, teamId: scope.teamId, details: { jobType: def.name, cron: row.cron, projectId: scope.projectId } });
    return { ok: true, schedule: toView(row, null) };
  });
}

/** Remove a project's schedule: the row and pg-boss's cron go together. */
export async function removeProjectSchedule(db: Db, boss: PgBoss, scope: ScheduleScope, jobType: unknown): Promise<{ ok: true } | ScheduleRefusal> {
  const def = projectJob(jobType);
  if (!def) return { ok: false, code: "not_found", message: "That schedule no longer exists." };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(projectSchedules)
      .where(and(eq(projectSchedules.projectId, scope.projectId), eq(projectSchedules.jobType, def.name)))
      .returning({ id: projectSchedules.id, cron: projectSchedules.cron });
    if (!row) return { ok: false, code: "not_found", message: "That schedule no longer exists." };
    await boss.unschedule(PROJECT_CRON_QUEUE, row.id, { db: bossTx(tx) });
    await recordAudit(tx, { action: "schedule.removed", actor: scope.actor, teamId: scope.teamId, details: { jobType: def.name, cron: row.cron, projectId: scope.projectId } });
    return { ok: true };
  });
}
