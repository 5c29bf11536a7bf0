import "server-only";
import { sql } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { projectJobDefinitions } from "@/lib/jobs/catalog";
import { requireProjectPermission } from "./access";
import { bucketStarts, RANGES, type RangeKey } from "./ranges";

/** At most this many runs (the newest) feed one chart view; the page says when the cap was hit. */
export const INSIGHTS_SCAN_CAP = 100_000;

export type InsightBucket = {
  start: string;
  runs: number;
  failed: number;
  /** failed / finished, 0..1; null with nothing finished. */
  failureRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
};

export type ProjectInsights = {
  projectName: string;
  jobTypes: { name: string; label: string }[];
  jobType: string;
  range: RangeKey;
  buckets: InsightBucket[];
  totals: { runs: number; failed: number; failureRate: number | null; p50Ms: number | null; p95Ms: number | null };
  capped: boolean;
};

type Row = { bucket: number | null; runs: number; finished: number; failed: number; p50: number | null; p95: number | null; scanned: number };

/**
 * Runs per hour (24 h) or day (7 d) of one job type in a project, the failure rate and the duration
 * p50/p95 of finished runs. One statement over the window, read by job_runs_project_type_queued_idx
 * and capped at INSIGHTS_SCAN_CAP runs; grouping sets give the buckets and the totals together.
 */
export async function getProjectInsights(slug: string, jobType: string | undefined, range: RangeKey): Promise<ProjectInsights> {
  const access = await requireProjectPermission(slug, "jobs:read");
  const defs = projectJobDefinitions();
  const chosen = defs.find((d) => d.name === jobType) ?? defs[0]!;
  const starts = bucketStarts(range);
  const bucketSeconds = RANGES[range].bucketHours * 3600;
  const rows = await getDatabase().db.execute<Row>(sql`
    with w as (
      select queued_at, status, started_at, completed_at from job_runs
      where project_id = ${access.project.id} and job_type = ${chosen.name} and queued_at >= ${new Date(starts[0]!).toISOString()}::timestamptz
      order by queued_at desc nulls last
      limit ${INSIGHTS_SCAN_CAP + 1}),
    b as (
      select floor((extract(epoch from queued_at) - ${starts[0]! / 1000}) / ${bucketSeconds})::int as bucket, status,
        case when status in ('completed', 'failed', 'dead_letter') and started_at is not null and completed_at is not null
          then extract(epoch from completed_at - started_at) * 1000 end as ms
      from w)
    select bucket, count(*)::int as runs,
      count(*) filter (where status in ('completed', 'failed', 'dead_letter'))::int as finished,
      count(*) filter (where status in ('failed', 'dead_letter'))::int as failed,
      percentile_cont(0.5) within group (order by ms) as p50,
      percentile_cont(0.95) within group (order by ms) as p95,
      (select count(*) from w)::int as scanned
    from b
    group by grouping sets ((bucket), ())`);
  const rate = (r: Row) => (r.finished > 0 ? r.failed / r.finished : null);
  const num = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  const byBucket = new Map(rows.filter((r) => r.bucket !== null).map((r) => [r.bucket, r]));
  const total = rows.find((r) => r.bucket === null);
  return {
    projectName: access.project.name,
    jobTypes: defs.map((d) => ({ name: d.name, label: d.label })),
    jobType: chosen.name,
    range,
    buckets: starts.map((start, i) => {
      const r = byBucket.get(i);
      return { start: new Date(start).toISOString(), runs: r?.runs ?? 0, failed: r?.failed ?? 0, failureRate: r ? rate(r) : null, p50Ms: num(r?.p50 ?? null), p95Ms: num(r?.p95 ?? null) };
    }),
    totals: total
      ? { runs: total.runs, failed: total.failed, failureRate: rate(total), p50Ms: num(total.p50), p95Ms: num(total.p95) }
      : { runs: 0, failed: 0, failureRate: null, p50Ms: null, p95Ms: null },
    capped: (total?.scanned ?? 0) > INSIGHTS_SCAN_CAP,
  };
}
