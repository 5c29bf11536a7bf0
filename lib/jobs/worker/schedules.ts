import { sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobSchedules } from "@/lib/db/schema";
import { CRON_QUEUE } from "../boss";
import { systemJobDefinitions } from "../catalog";
import type { JobDefinition } from "../define";
import { triggerRun } from "../enqueue";
import { pausedSystemJobs, scheduleSystemCron, type CronTickData } from "../system-schedules";

export { CRON_QUEUE, type CronTickData };

export type TickOutcome = { outcome: "started"; runId: string } | { outcome: "skipped"; existingRunId: string } | { outcome: "paused" } | { outcome: "unknown_job_type" };

function scheduled(): JobDefinition[] {
  return systemJobDefinitions().filter((d) => d.schedule);
}

/**
 * Register each system job's cron with pg-boss (UTC) and drop schedules the catalog no longer has;
 * one the owner paused stays out of pg-boss until resumed.
 */
export async function registerSchedules(db: Db, boss: PgBoss): Promise<void> {
  const defs = scheduled();
  const paused = await pausedSystemJobs(db);
  for (const def of defs) {
    if (paused.has(def.name)) await boss.unschedule(CRON_QUEUE, def.name);
    else await scheduleSystemCron(boss, def);
    await db
      .insert(jobSchedules)
      .values({ jobType: def.name, cron: def.schedule! })
      .onConflictDoUpdate({ target: jobSchedules.jobType, set: { cron: def.schedule!, updatedAt: sql`now()` } });
  }
  const names = new Set(defs.map((d) => d.name));
  for (const existing of await boss.getSchedules(CRON_QUEUE)) if (!names.has(existing.key)) await boss.unschedule(CRON_QUEUE, existing.key);
}

/**
 * One cron tick: start the system job with its default payload, or, when its previous run is
 * still pending or running, skip the tick and record the skip for operators (seed 002).
 */
export async function runScheduleTick(db: Db, boss: PgBoss, jobType: string): Promise<TickOutcome> {
  const def = scheduled().find((d) => d.name === jobType);
  if (!def) return { outcome: "unknown_job_type" };
  // A tick pg-boss sent just before the owner paused it.
  if ((await pausedSystemJobs(db)).has(jobType)) return { outcome: "paused" };
  const result = await triggerRun(db, boss, { def, payload: def.payload.parse({}) as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
  const cron = def.schedule!;
  if (result.ok) {
    await db
      .insert(jobSchedules)
      .values({ jobType, cron, lastTickAt: sql`now()`, lastRunId: result.runId })
      .onConflictDoUpdate({ target: jobSchedules.jobType, set: { lastTickAt: sql`now()`, lastRunId: result.runId, updatedAt: sql`now()` } });
    return { outcome: "started", runId: result.runId };
  }
  await db
    .insert(jobSchedules)
    .values({ jobType, cron, lastTickAt: sql`now()`, skippedCount: 1, lastSkippedAt: sql`now()` })
    .onConflictDoUpdate({
      target: jobSchedules.jobType,
      set: { lastTickAt: sql`now()`, skippedCount: sql`${jobSchedules.skippedCount} + 1`, lastSkippedAt: sql`now()`, updatedAt: sql`now()` },
    });
  return { outcome: "skipped", existingRunId: result.existingRunId };
}
