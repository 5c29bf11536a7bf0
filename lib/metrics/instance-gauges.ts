import type postgres from "postgres";
import { LOST_AFTER_HEARTBEATS } from "@/lib/jobs/liveness";

/**
 * Queue counts stop at this many runs per job type and status, so a scrape stays a few bounded
 * index range reads however large a backlog grows (a gauge at the cap reads "at least").
 */
export const QUEUE_COUNT_CAP = 10_000;
/** A scrape that takes longer than this is cancelled by Postgres. */
const SCRAPE_STATEMENT_TIMEOUT_MS = 2_000;

export type QueueGauge = { jobType: string; pending: number; running: number; oldestPendingSeconds: number | null };
export type InstanceMetrics = { queues: QueueGauge[]; liveWorkers: number };

/**
 * The instance-level gauges, read at scrape time (web: lib/dal/metrics.ts checks the token first;
 * bench/metrics-scrape.ts measures it): per job type, pending and running runs (capped, from
 * job_runs_type_status_queued_idx) and the age of the oldest pending run (one probe of the same
 * index), and the worker instances that count as live (lib/jobs/liveness).
 * `nulls first`: the index keeps queued_at DESC NULLS LAST, whose backward scan is ASC NULLS FIRST;
 * with a plain ASC Postgres sorts every pending run of the type instead.
 */
export async function readInstanceGauges(sql: postgres.Sql, jobTypes: string[]): Promise<InstanceMetrics> {
  return sql.begin(async (tx) => {
    await tx.unsafe(`set local statement_timeout = ${SCRAPE_STATEMENT_TIMEOUT_MS}`);
    const queues = await tx<{ job_type: string; pending: number; running: number; oldest: number | null }[]>`
      select t.job_type,
        (select count(*) from (select 1 from job_runs r where r.job_type = t.job_type and r.status = 'pending' limit ${QUEUE_COUNT_CAP}) p)::int as pending,
        (select count(*) from (select 1 from job_runs r where r.job_type = t.job_type and r.status = 'running' limit ${QUEUE_COUNT_CAP}) p)::int as running,
        extract(epoch from now() - (select r.queued_at from job_runs r where r.job_type = t.job_type and r.status = 'pending' order by r.queued_at asc nulls first limit 1))::float8 as oldest
      from unnest(${jobTypes}::text[]) as t(job_type)`;
    // instanceLost (lib/jobs/liveness.ts) in SQL.
    const [workers] = await tx<{ live: number }[]>`
      select count(*)::int as live from workers
      where stopped_at is null and last_seen_at > now() - make_interval(secs => heartbeat_seconds * ${LOST_AFTER_HEARTBEATS})`;
    return {
      queues: queues.map((q) => ({ jobType: q.job_type, pending: q.pending, running: q.running, oldestPendingSeconds: q.oldest === null ? null : Math.max(0, q.oldest) })),
      liveWorkers: workers?.live ?? 0,
    };
  });
}
