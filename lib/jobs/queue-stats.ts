import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { LOST_AFTER_HEARTBEATS } from "./liveness";

/** Counts stop here ("10,000+"): each is an index range, and a deeper backlog adds nothing to read. */
export const QUEUE_COUNT_CAP = 10_000;
/** "Runs finished per minute" is averaged over this window. */
export const THROUGHPUT_WINDOW_MINUTES = 15;

export type QueueStatsRow = {
  job_type: string;
  pending: number;
  retrying: number;
  running: number;
  failed: number;
  dead_letter: number;
  oldest_due: number | null;
  finished: number;
  workers: number;
  paused: boolean | null;
  concurrency_limit: number | null;
  instance_paused: boolean | null;
  instance_limit: number | null;
};

/**
 * Every figure of every job type in one statement. Each count is a capped range of
 * job_runs_queue_active_idx or job_runs_queue_finished_idx (job type, status, time, project):
 * it reads the runs it counts and no others (a project's view filters inside the job type's
 * range), never the history. Workers come from the registry, controls from job_type_controls.
 */
export async function readQueueStats(db: Db, jobTypes: string[], projectId: string | null): Promise<QueueStatsRow[]> {
  const cap = QUEUE_COUNT_CAP + 1;
  const inProject = projectId ? sql`and r.project_id = ${projectId}::uuid` : sql``;
  const count = (where: ReturnType<typeof sql>) => sql`(select count(*)::int from (select 1 from job_runs r where r.job_type = t.job_type and ${where} ${inProject} limit ${cap}) c)`;
  const rows = await db.execute<QueueStatsRow>(sql`
    select t.job_type,
      ${count(sql`r.status = 'pending' and r.run_at <= now()`)} as pending,
      ${count(sql`r.status = 'pending' and r.run_at > now()`)} as retrying,
      ${count(sql`r.status = 'running'`)} as running,
      ${count(sql`r.status = 'failed' and r.completed_at > now() - interval '24 hours'`)} as failed,
      ${count(sql`r.status = 'dead_letter' and r.completed_at > now() - interval '24 hours'`)} as dead_letter,
      ${count(sql`r.status in ('completed', 'failed', 'cancelled', 'dead_letter') and r.completed_at > now() - make_interval(mins => ${THROUGHPUT_WINDOW_MINUTES})`)} as finished,
      (select extract(epoch from now() - min(r.run_at))::float8 from job_runs r
        where r.job_type = t.job_type and r.status = 'pending' and r.run_at <= now() ${inProject}) as oldest_due,
      (select count(*)::int from workers w
        where w.stopped_at is null and w.last_seen_at > now() - make_interval(secs => w.heartbeat_seconds * ${LOST_AFTER_HEARTBEATS})
          and t.job_type = any(w.job_types)) as workers,
      pc.paused, pc.concurrency_limit, ic.paused as instance_paused, ic.concurrency_limit as instance_limit
    from unnest(${`{${jobTypes.join(",")}}`}::text[]) with ordinality as t(job_type, n)
    left join job_type_controls pc on pc.job_type = t.job_type and ${projectId ? sql`pc.project_id = ${projectId}::uuid` : sql`pc.project_id is null`}
    left join job_type_controls ic on ${projectId ? sql`ic.job_type = t.job_type and ic.project_id is null` : sql`false`}
    order by t.n`);
  return [...rows];
}

