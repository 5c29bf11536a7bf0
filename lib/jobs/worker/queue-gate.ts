import { eq, sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import { clientOf, type Db, type Tx } from "@/lib/db/client";
import { jobTypeControls } from "@/lib/db/schema";
import type { QueueJobData } from "../enqueue";
import { startAttempts, type StartedAttempt } from "../lifecycle";
import type { Control } from "../queue-controls";

/**
 * The engine side of pause and concurrency limits (docs/queues.md). A run the controls do not let
 * start when its queue job is delivered is *held*: it stays `pending`, its queue job is dropped
 * (boss_job_id = null, nothing consumed: no attempt, no step) and it waits in job_runs_held_idx.
 * Only due runs count as held (a held run was delivered, so it is due): a pending row without a
 * queue job and a later run_at is left alone, as the orphaned-pending sweep leaves it.
 * Workers release held runs, oldest first, as a resume or a freed slot allows (releaseHeldRuns).
 *
 * Claims and releases of one job type serialise on a transaction-scoped advisory lock, and each
 * reads the controls and the running count inside it: two workers can never both take the last
 * slot. Job types without a control never take this path (see workers/queue-controls.ts).
 */

/** Runs released per scope and tick: a resume of a long pause drains in steps. */
export const RELEASE_BATCH = 500;

async function lockJobType(tx: Tx, jobType: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`runboard.queue:${jobType}`}, 0))`);
}

/** The controls of one job type and its running runs (instance-wide and per project), read under the lock. */
async function readScope(tx: Tx, jobType: string): Promise<{ instance: Control | null; projects: Map<string, Control>; running: Map<string | null, number>; runningTotal: number }> {
  const controls = await tx
    .select({ jobType: jobTypeControls.jobType, projectId: jobTypeControls.projectId, paused: jobTypeControls.paused, concurrencyLimit: jobTypeControls.concurrencyLimit })
    .from(jobTypeControls)
    .where(eq(jobTypeControls.jobType, jobType));
  const instance = controls.find((c) => c.projectId === null) ?? null;
  const projects = new Map(controls.filter((c) => c.projectId !== null).map((c) => [c.projectId!, c]));
  const running = new Map<string | null, number>();
  let runningTotal = 0;
  // Only limits need the count: a range of job_runs_queue_active_idx (running runs are few).
  if (controls.some((c) => c.concurrencyLimit !== null)) {
    const rows = await tx.execute<{ project_id: string | null; n: number }>(
      sql`select project_id, count(*)::int as n from job_runs where job_type = ${jobType} and status = 'running' group by project_id`,
    );
    for (const r of rows) {
      running.set(r.project_id, r.n);
      runningTotal += r.n;
    }
  }
  return { instance, projects, running, runningTotal };
}

/** Why a run of this scope may not start now, or null when it may. */
function blocked(scope: Awaited<ReturnType<typeof readScope>>, projectId: string | null): "paused" | "limit" | null {
  const project = projectId ? scope.projects.get(projectId) : undefined;
  if (scope.instance?.paused || project?.paused) return "paused";
  if (scope.instance?.concurrencyLimit != null && scope.runningTotal >= scope.instance.concurrencyLimit) return "limit";
  if (project?.concurrencyLimit != null && (scope.running.get(projectId) ?? 0) >= project.concurrencyLimit) return "limit";
  return null;
}

/**
 * Claim delivered runs of a controlled job type: those the controls let start are claimed as
 * startAttempts does, the rest are held. A delivery whose scope holds older runs is held too, so
 * runs start in the order they queued (the release hands out freed slots oldest first)
 * and a steady stream of new runs cannot starve the held ones.
 */
export async function claimUnderControls(db: Db, jobType: string, deliveries: { runId: string; bossJobId: string }[], workerId: string): Promise<(StartedAttempt | null)[]> {
  if (deliveries.length === 0) return [];
  return db.transaction(async (tx) => {
    await lockJobType(tx, jobType);
    const ids = deliveries.map((d) => d.runId);
    // Whether older runs of the same scope are held: probes of job_runs_held_idx.
    const candidates = await clientOf(tx).unsafe<{ id: string; project_id: string | null; held_in_project: boolean; held_in_type: boolean }[]>(
      `select r.id, r.project_id,
         exists (select 1 from job_runs h where h.job_type = r.job_type and h.status = 'pending' and h.boss_job_id is null and h.run_at <= now()
                   and h.queued_at < r.queued_at and h.project_id is not distinct from r.project_id) as held_in_project,
         exists (select 1 from job_runs h where h.job_type = r.job_type and h.status = 'pending' and h.boss_job_id is null and h.run_at <= now()
                   and h.queued_at < r.queued_at) as held_in_type
       from job_runs r join unnest($1::uuid[], $2::uuid[]) as v(run_id, boss_job_id) on r.id = v.run_id and r.boss_job_id = v.boss_job_id
       where r.id = any($1::uuid[]) and r.status = 'pending' and r.job_type = $3`,
      [ids, deliveries.map((d) => d.bossJobId), jobType] as never[],
    );
    const byRun = new Map(candidates.map((c) => [c.id, c]));
    const scope = await readScope(tx, jobType);
    const allowed: { runId: string; bossJobId: string }[] = [];
    const held: { runId: string; bossJobId: string }[] = [];
    // An instance-wide control lines up every run of the type; a project's, that project's runs.
    const typeWide = scope.instance !== null && (scope.instance.paused || scope.instance.concurrencyLimit !== null);
    for (const d of deliveries) {
      const c = byRun.get(d.runId);
      if (!c) continue;
      if ((typeWide ? c.held_in_type : c.held_in_project) || blocked(scope, c.project_id)) {
        held.push(d);
        continue;
      }
      allowed.push(d);
      scope.running.set(c.project_id, (scope.running.get(c.project_id) ?? 0) + 1);
      scope.runningTotal++;
    }
    if (held.length > 0) {
      await clientOf(tx).unsafe(
        `update job_runs r set boss_job_id = null, updated_at = now()
         from unnest($1::uuid[], $2::uuid[]) as v(run_id, boss_job_id)
         where r.id = any($1::uuid[]) and r.id = v.run_id and r.boss_job_id = v.boss_job_id and r.status = 'pending'`,
        [held.map((h) => h.runId), held.map((h) => h.bossJobId)] as never[],
      );
    }
    const started = await startAttempts(tx, allowed, workerId);
    const startedByRun = new Map(allowed.map((a, i) => [a.runId, started[i] ?? null]));
    return deliveries.map((d) => startedByRun.get(d.runId) ?? null);
  });
}

/** Job types among `jobTypes` that have held runs: one index probe each. */
export async function jobTypesWithHeldRuns(db: Db, jobTypes: readonly string[]): Promise<string[]> {
  if (jobTypes.length === 0) return [];
  const rows = await clientOf(db).unsafe<{ job_type: string }[]>(
    `select t.job_type from unnest($1::text[]) as t(job_type)
     where exists (select 1 from job_runs r where r.job_type = t.job_type and r.status = 'pending' and r.boss_job_id is null and r.run_at <= now())`,
    [[...jobTypes]] as never[],
  );
  return rows.map((r) => r.job_type);
}

/** Give up to `count` held runs of the job type (in `projectIds`, or outside `exceptProjects`) a new queue job, oldest first. */
async function release(tx: Tx, boss: PgBoss, jobType: string, count: number, where: { projectId: string } | { exceptProjects: string[] }): Promise<number> {
  if (count <= 0) return 0;
  const filter = "projectId" in where ? `and project_id = $3::uuid` : `and (project_id is null or not (project_id = any($3::uuid[])))`;
  const rows = await clientOf(tx).unsafe<{ id: string; boss_job_id: string }[]>(
    `with picked as (
       select id from job_runs where job_type = $1 and status = 'pending' and boss_job_id is null and run_at <= now() ${filter}
       order by queued_at limit $2 for update skip locked)
     update job_runs r set boss_job_id = gen_random_uuid(), updated_at = now() from picked where r.id = picked.id
     returning r.id, r.boss_job_id`,
    [jobType, count, "projectId" in where ? where.projectId : where.exceptProjects] as never[],
  );
  if (rows.length === 0) return 0;
  const jobs = rows.map((r) => ({ id: r.boss_job_id, data: { runId: r.id } satisfies QueueJobData }));
  await boss.insert(jobType, jobs, { db: fromDrizzle(tx, sql) });
  return rows.length;
}

/**
 * Release the held runs of one job type that the controls now let start: all of them (in steps of
 * RELEASE_BATCH) once nothing holds them, else as many as free slots allow. Released runs are
 * claimed like any other (under the same lock), so a release that overshoots only holds them again.
 */
export async function releaseHeldRuns(db: Db, boss: PgBoss, jobType: string): Promise<number> {
  return db.transaction(async (tx) => {
    await lockJobType(tx, jobType);
    const scope = await readScope(tx, jobType);
    if (scope.instance?.paused) return 0;
    let instanceFree = scope.instance?.concurrencyLimit != null ? scope.instance.concurrencyLimit - scope.runningTotal : RELEASE_BATCH;
    let released = 0;
    for (const [projectId, control] of scope.projects) {
      if (control.paused || instanceFree <= 0) continue;
      const free = control.concurrencyLimit != null ? control.concurrencyLimit - (scope.running.get(projectId) ?? 0) : RELEASE_BATCH;
      const n = await release(tx, boss, jobType, Math.min(free, instanceFree, RELEASE_BATCH), { projectId });
      instanceFree -= n;
      released += n;
    }
    released += await release(tx, boss, jobType, Math.min(instanceFree, RELEASE_BATCH), { exceptProjects: [...scope.projects.keys()] });
    return released;
  });
}
