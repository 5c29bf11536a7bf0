import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { clientOf, type DbOrTx } from "@/lib/db/client";
import { jobRuns, jobRunSteps, type RunStatus } from "@/lib/db/schema";

/**
 * The engine's statements on job_runs besides the attempt transitions (lifecycle.ts) and the
 * trigger (enqueue.ts): heartbeats, cancel polling, retention and the operator CLI's reads. The
 * worker, handlers and CLI call these instead of writing job_runs where they stand, so every
 * statement the engine runs on a run is found in lib/jobs.
 */

/**
 * One write for every run a worker holds. Returns each run that still answers as this worker's
 * running attempt, with its attempt number: the others were ended or taken over elsewhere.
 */
export async function heartbeatRuns(db: DbOrTx, runIds: string[], workerId: string): Promise<{ id: string; attempt: number }[]> {
  if (runIds.length === 0) return [];
  // Rows locked in id order, as every many-row write of job_runs does (lib/jobs/lifecycle.ts): an
  // end write over the same held runs in another order would deadlock with this one.
  return clientOf(db).unsafe<{ id: string; attempt: number }[]>(
    `with locked as (select id from job_runs where id = any($1::uuid[]) order by id for update)
     update job_runs set last_heartbeat = now()
     where id in (select id from locked) and status = 'running' and worker_id = $2
     returning id, attempt_count as attempt`,
    [runIds, workerId] as never[],
  );
}

/** Which of these runs someone asked to cancel. */
export async function cancelRequestedAmong(db: DbOrTx, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .select({ id: jobRuns.id })
    .from(jobRuns)
    .where(and(inArray(jobRuns.id, runIds), isNotNull(jobRuns.cancelRequestedAt)));
  return rows.map((r) => r.id);
}

/**
 * Delete up to `limit` finished runs, oldest first, optionally only those finished before
 * `before`. Active runs are never touched; rows another session holds are skipped.
 */
export async function deleteOldestFinishedRuns(db: DbOrTx, limit: number, before: Date | null): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    with victims as (
      select id from job_runs
      where status in ('completed', 'failed', 'cancelled', 'dead_letter')
        and completed_at is not null
        ${before ? sql`and completed_at < ${before.toISOString()}` : sql``}
      order by completed_at
      limit ${limit}
      for update skip locked
    ), gone as (delete from job_runs where id in (select id from victims) returning 1)
    select count(*)::int as n from gone`);
  return rows[0]?.n ?? 0;
}

/** The database's size, what runs (with their steps and calls) take of it, and how many runs there are. */
export async function runStorage(db: DbOrTx): Promise<{ databaseBytes: number; runBytes: number; runs: number }> {
  const [stats] = await db.execute<{ db_bytes: string; run_bytes: string; runs: string }>(sql`
    select pg_database_size(current_database())::text as db_bytes,
           (pg_total_relation_size('job_runs') + pg_total_relation_size('job_run_steps') + pg_total_relation_size('job_run_calls'))::text as run_bytes,
           (select count(*) from job_runs)::text as runs`);
  return { databaseBytes: Number(stats?.db_bytes ?? 0), runBytes: Number(stats?.run_bytes ?? 0), runs: Number(stats?.runs ?? 0) };
}

export type PurgedProject = { slug: string; name: string; teamId: string; deletedAt: string };

/**
 * Hard-delete up to `limit` projects soft-deleted before `cutoff` (their runs, files and contacts
 * go with them by cascade). A project with an active run waits for a later pass (a delete through
 * the DAL refuses while one is active, so only a hand-made row can have one).
 */
export async function purgeDeletedProjects(db: DbOrTx, cutoff: Date, limit: number): Promise<PurgedProject[]> {
  const rows = await db.execute<{ slug: string; name: string; team_id: string; deleted_at: string }>(sql`
    delete from projects where id in (
      select p.id from projects p
      where p.deleted_at is not null and p.deleted_at < ${cutoff.toISOString()}
        and not exists (select 1 from job_runs r where r.project_id = p.id and r.status in ('pending', 'running'))
      order by p.deleted_at
      limit ${limit}
      for update skip locked)
    returning slug, name, team_id, deleted_at::text`);
  return rows.map((r) => ({ slug: r.slug, name: r.name, teamId: r.team_id, deletedAt: r.deleted_at }));
}

/** The newest run of each of these job types (the operator's list). */
export async function latestRunPerType(db: DbOrTx, jobTypes: string[]): Promise<{ jobType: string; id: string; status: RunStatus; queuedAt: Date }[]> {
  if (jobTypes.length === 0) return [];
  return db
    .selectDistinctOn([jobRuns.jobType], { jobType: jobRuns.jobType, id: jobRuns.id, status: jobRuns.status, queuedAt: jobRuns.queuedAt })
    .from(jobRuns)
    .where(inArray(jobRuns.jobType, jobTypes))
    .orderBy(jobRuns.jobType, desc(jobRuns.queuedAt));
}

/** A whole run row, unredacted: for the instance owner's CLI only. */
export async function runForOperator(db: DbOrTx, runId: string): Promise<typeof jobRuns.$inferSelect | undefined> {
  const [run] = await db.select().from(jobRuns).where(eq(jobRuns.id, runId));
  return run;
}

/** A run's steps in order, at most `limit`. */
export async function runStepsForOperator(db: DbOrTx, runId: string, limit = 200): Promise<(typeof jobRunSteps.$inferSelect)[]> {
  return db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, runId)).orderBy(jobRunSteps.createdAt).limit(limit);
}

export async function runStatus(db: DbOrTx, runId: string): Promise<RunStatus | undefined> {
  const [run] = await db.select({ status: jobRuns.status }).from(jobRuns).where(eq(jobRuns.id, runId));
  return run?.status;
}
