import { eq, inArray, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { recordAudit, type Actor } from "@/lib/audit";
import type { Db, DbOrTx, Tx } from "@/lib/db/client";
import { jobSchedules, type RunStatus } from "@/lib/db/schema";
import { CRON_QUEUE } from "./boss";
import { bossTx } from "./boss-tx";
import { getJobDefinition, systemJobDefinitions } from "./catalog";
import { nextCronRun } from "./cron";
import { triggerRun } from "./enqueue";
import { latestRunPerType } from "./run-store";
import type { JobDefinition } from "./define";

/**
 * The instance owner's controls over Runboard's own scheduled jobs: one code path for the CLI
 * (`runboard system …`) and the dashboard's System page, so both pause, resume and run the same way.
 */

export type CronTickData = { jobType: string };

/** Where an owner's command came from, kept with its audit event. */
export type OperatorVia = "cli" | "dashboard";

export type SystemScheduleView = {
  jobType: string;
  label: string;
  description: string;
  /** UTC cron; null for a system job only started on demand (e.g. one per outbox email). */
  cron: string | null;
  paused: boolean;
  pausedAt: string | null;
  nextRunAt: string | null;
  lastTickAt: string | null;
  lastRun: { id: string; status: RunStatus; queuedAt: string } | null;
  skippedCount: number;
  lastSkippedAt: string | null;
  /** Whether "run now" can start it without a payload (its defaults satisfy its schema). */
  runnableNow: boolean;
};

export type SystemRefusal = { ok: false; code: "unknown_job_type" | "not_scheduled" | "unchanged" | "invalid" | "already_active"; message: string; existingRunId?: string };

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** Register a system job's cron with pg-boss (UTC), inside `tx` when given. */
export async function scheduleSystemCron(boss: PgBoss, def: JobDefinition, tx?: Tx): Promise<void> {
  const data: CronTickData = { jobType: def.name };
  await boss.schedule(CRON_QUEUE, def.schedule!, data, { key: def.name, tz: "UTC", missed: "skip", ...(tx ? { db: bossTx(tx) } : {}) });
}

/** The system job types whose schedule the owner has paused. */
export async function pausedSystemJobs(db: DbOrTx): Promise<Set<string>> {
  const rows = await db.select({ jobType: jobSchedules.jobType, pausedAt: jobSchedules.pausedAt }).from(jobSchedules);
  return new Set(rows.filter((r) => r.pausedAt).map((r) => r.jobType));
}

/** Every system job type with its schedule, pause state, last tick, last run and skipped ticks. */
export async function listSystemSchedules(db: Db): Promise<SystemScheduleView[]> {
  const defs = systemJobDefinitions();
  const names = defs.map((d) => d.name);
  const schedules = await db.select().from(jobSchedules).where(inArray(jobSchedules.jobType, names));
  const latest = await latestRunPerType(db, names);
  return defs.map((d) => {
    const s = schedules.find((x) => x.jobType === d.name);
    const r = latest.find((x) => x.jobType === d.name);
    const paused = Boolean(s?.pausedAt) && d.schedule !== null;
    return {
      jobType: d.name,
      label: d.label,
      description: d.description,
      cron: d.schedule,
      paused,
      pausedAt: paused ? iso(s?.pausedAt) : null,
      nextRunAt: d.schedule && !paused ? iso(nextCronRun(d.schedule)) : null,
      lastTickAt: iso(s?.lastTickAt),
      lastRun: r ? { id: r.id, status: r.status, queuedAt: r.queuedAt.toISOString() } : null,
      skippedCount: s?.skippedCount ?? 0,
      lastSkippedAt: iso(s?.lastSkippedAt),
      runnableNow: d.payload.safeParse({}).success,
    };
  });
}

function scheduledSystemJob(jobType: string): JobDefinition | SystemRefusal {
  const def = getJobDefinition(jobType);
  if (!def || def.scope !== "system") return { ok: false, code: "unknown_job_type", message: `Unknown system job type "${jobType.slice(0, 100)}". Known: ${systemJobDefinitions().map((d) => d.name).join(", ")}` };
  if (!def.schedule) return { ok: false, code: "not_scheduled", message: `${def.name} has no schedule: it only runs on demand.` };
  return def;
}

/**
 * Pause or resume a system job's schedule. Paused: pg-boss holds no cron for it (so no worker
 * ticks it, and a worker starting later does not put it back); resumed: the catalog's cron again.
 */
export async function setSystemSchedulePaused(db: Db, boss: PgBoss, jobType: string, paused: boolean, actor: Actor, via: OperatorVia): Promise<{ ok: true; label: string } | SystemRefusal> {
  const def = scheduledSystemJob(jobType);
  if ("ok" in def) return def;
  return db.transaction(async (tx) => {
    // Lock the row (creating it if no worker has yet) so a concurrent pause and resume serialise.
    await tx.insert(jobSchedules).values({ jobType: def.name, cron: def.schedule! }).onConflictDoNothing();
    const [row] = await tx.select({ pausedAt: jobSchedules.pausedAt }).from(jobSchedules).where(eq(jobSchedules.jobType, def.name)).for("update");
    if (Boolean(row?.pausedAt) === paused) return { ok: false, code: "unchanged", message: paused ? `${def.name} is already paused.` : `${def.name} is not paused.` };
    await tx
      .update(jobSchedules)
      .set({ pausedAt: paused ? sql`now()` : null, updatedAt: sql`now()` })
      .where(eq(jobSchedules.jobType, def.name));
    if (paused) await boss.unschedule(CRON_QUEUE, def.name, { db: bossTx(tx) });
    else await scheduleSystemCron(boss, def, tx);
    await recordAudit(tx, { action: paused ? "system_schedule.paused" : "system_schedule.resumed", actor, teamId: null, details: { jobType: def.name, cron: def.schedule, via } });
    return { ok: true, label: def.label };
  });
}

/**
 * Start a system job now (payload validated by its schema; defaults when none). A run still
 * active for it is reported, not doubled. Works while its schedule is paused.
 */
export async function runSystemJobNow(db: Db, boss: PgBoss, jobType: string, rawPayload: unknown, actor: Actor, via: OperatorVia): Promise<{ ok: true; runId: string; label: string } | SystemRefusal> {
  const def = getJobDefinition(jobType);
  if (!def || def.scope !== "system") return { ok: false, code: "unknown_job_type", message: `Unknown system job type "${jobType.slice(0, 100)}". Known: ${systemJobDefinitions().map((d) => d.name).join(", ")}` };
  const parsed = def.payload.safeParse(rawPayload ?? {});
  if (!parsed.success) return { ok: false, code: "invalid", message: `Invalid payload: ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}` };
  const result = await triggerRun(db, boss, {
    def,
    payload: parsed.data as Record<string, unknown>,
    teamId: null,
    projectId: null,
    triggeredBy: actor.userId,
    notify: false,
    onCreated: (tx, runId) => recordAudit(tx, { action: "system_job.run_now", actor, teamId: null, runId, details: { jobType: def.name, via } }),
  });
  if (!result.ok) return { ok: false, code: "already_active", message: `${def.name} is already running: run ${result.existingRunId}`, existingRunId: result.existingRunId };
  return { ok: true, runId: result.runId, label: def.label };
}
