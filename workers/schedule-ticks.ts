import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, projects, projectSchedules, type TickOutcomeKind } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { ACTIVE_STATUSES } from "@/lib/jobs/lifecycle";
import { PROJECT_CRON_QUEUE, type ProjectCronTickData } from "@/lib/jobs/project-schedules";
import { CRON_QUEUE, runScheduleTick, type CronTickData } from "@/lib/jobs/worker/schedules";

export type ProjectTickOutcome =
  | { outcome: "started"; runId: string }
  | { outcome: "skipped"; existingRunId: string }
  | { outcome: "invalid_payload" | "unknown_job_type" }
  /** Nothing recorded: the schedule is paused or gone, its project deleted, or another tick of it won. */
  | { outcome: "ignored"; reason: "paused" | "gone" | "project_deleted" | "raced" };

/** Queues the worker consumes for cron ticks (stopped with the job queues at shutdown). */
export const SCHEDULE_QUEUES = [CRON_QUEUE, PROJECT_CRON_QUEUE] as const;

class TickRaced extends Error {}

async function record(db: Db, id: string, outcome: TickOutcomeKind, skipped = false): Promise<void> {
  await db
    .update(projectSchedules)
    .set({
      lastTickAt: sql`now()`,
      lastOutcome: outcome,
      updatedAt: sql`now()`,
      ...(skipped ? { skippedCount: sql`${projectSchedules.skippedCount} + 1`, lastSkippedAt: sql`now()` } : {}),
    })
    .where(eq(projectSchedules.id, id));
}

/**
 * One tick of a project schedule: start its job with the stored payload, or skip (and count the
 * skip) while its previous run, or another run holding the job type's overlap slot, is still
 * pending or running.
 */
export async function runProjectScheduleTick(db: Db, boss: PgBoss, scheduleId: string): Promise<ProjectTickOutcome> {
  const [row] = await db
    .select({ schedule: projectSchedules, teamId: projects.teamId, deletedAt: projects.deletedAt })
    .from(projectSchedules)
    .innerJoin(projects, eq(projects.id, projectSchedules.projectId))
    .where(eq(projectSchedules.id, scheduleId));
  if (!row) {
    // Removed (or its project hard-deleted) with the cron still in pg-boss: drop the cron too.
    await boss.unschedule(PROJECT_CRON_QUEUE, scheduleId);
    return { outcome: "ignored", reason: "gone" };
  }
  const s = row.schedule;
  if (s.pausedAt) return { outcome: "ignored", reason: "paused" };
  if (row.deletedAt) return { outcome: "ignored", reason: "project_deleted" };
  const def = getJobDefinition(s.jobType);
  if (!def || def.scope !== "project") {
    await record(db, s.id, "unknown_job_type");
    return { outcome: "unknown_job_type" };
  }
  // The job's schema may have changed since the schedule was set.
  const payload = def.payload.safeParse(s.payload);
  if (!payload.success) {
    await record(db, s.id, "invalid_payload");
    return { outcome: "invalid_payload" };
  }
  if (s.lastRunId) {
    const [active] = await db
      .select({ id: jobRuns.id })
      .from(jobRuns)
      .where(and(eq(jobRuns.id, s.lastRunId), inArray(jobRuns.status, ACTIVE_STATUSES)));
    if (active) {
      await record(db, s.id, "skipped", true);
      return { outcome: "skipped", existingRunId: active.id };
    }
  }
  try {
    const result = await triggerRun(db, boss, {
      def,
      payload: payload.data as Record<string, unknown>,
      teamId: row.teamId,
      projectId: s.projectId,
      triggeredBy: null,
      notify: false,
      // The run and the schedule's record of it commit together, and only if no other tick of
      // this schedule started a run since we read it (a retried tick job, say).
      onCreated: async (tx, runId) => {
        const updated = await tx
          .update(projectSchedules)
          .set({ lastTickAt: sql`now()`, lastOutcome: "started", lastRunId: runId, updatedAt: sql`now()` })
          .where(and(eq(projectSchedules.id, s.id), s.lastRunId ? eq(projectSchedules.lastRunId, s.lastRunId) : sql`${projectSchedules.lastRunId} is null`))
          .returning({ id: projectSchedules.id });
        if (updated.length === 0) throw new TickRaced();
      },
    });
    if (result.ok) return { outcome: "started", runId: result.runId };
    await record(db, s.id, "skipped", true);
    return { outcome: "skipped", existingRunId: result.existingRunId };
  } catch (error) {
    if (error instanceof TickRaced) return { outcome: "ignored", reason: "raced" };
    throw error;
  }
}

/**
 * Consume the cron tick queues. pg-boss's cron pass (one instance per pass, one job per schedule
 * and occurrence) sends the ticks; whichever worker fetches a tick runs it.
 */
export async function workScheduleTicks(db: Db, boss: PgBoss, polling: { pollingIntervalSeconds: number; notifyPollingIntervalSeconds: number }): Promise<void> {
  await boss.work<CronTickData>(CRON_QUEUE, polling, async (jobs) => {
    for (const job of jobs) {
      const tick = await runScheduleTick(db, boss, job.data.jobType);
      if (tick.outcome === "skipped") console.log(`[worker] ${job.data.jobType}: tick skipped, run ${tick.existingRunId} is still active`);
    }
  });
  await boss.work<ProjectCronTickData>(PROJECT_CRON_QUEUE, polling, async (jobs) => {
    for (const job of jobs) {
      const tick = await runProjectScheduleTick(db, boss, job.data.scheduleId);
      if (tick.outcome === "skipped") console.log(`[worker] schedule ${job.data.scheduleId}: tick skipped, run ${tick.existingRunId} is still active`);
      else if (tick.outcome === "invalid_payload" || tick.outcome === "unknown_job_type") console.warn(`[worker] schedule ${job.data.scheduleId}: tick not run (${tick.outcome})`);
    }
  });
}
