import "server-only";
import { sql } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { allJobDefinitions, projectJobDefinitions } from "@/lib/jobs/catalog";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { requireProjectPermission } from "./access";
import { requireInstancePermission } from "./instance";
import { sharedRead } from "./shared-read";
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
  totals: InsightTotals;
  capped: boolean;
};

export type InsightTotals = { runs: number; failed: number; failureRate: number | null; p50Ms: number | null; p95Ms: number | null };

async function lastJobType(projectId: string): Promise<string | null> {
  const [row] = await getDatabase().db.execute<{ job_type: string }>(sql`
    select job_type from job_runs where project_id = ${projectId} order by queued_at desc nulls last, id desc nulls last limit 1`);
  return row?.job_type ?? null;
}

type Row = { bucket: number | null; runs: number; finished: number; failed: number; p50: number | null; p95: number | null; scanned: number };

/**
 * Runs per hour (24 h) or day (7 d) of one job type in a project, the failure rate and the duration
 * p50/p95 of finished runs. One statement over the window, read by job_runs_project_type_queued_idx
 * and capped at INSIGHTS_SCAN_CAP runs; grouping sets give the buckets and the totals together.
 */
export async function getProjectInsights(slug: string, jobType: string | undefined, range: RangeKey): Promise<ProjectInsights> {
  const access = await requireProjectPermission(slug, "jobs:read");
  const defs = projectJobDefinitions();
  // No type chosen: the one that ran last here (one probe of job_runs_project_history_idx).
  const last = defs.some((d) => d.name === jobType) ? null : await lastJobType(access.project.id);
  const chosen = defs.find((d) => d.name === jobType) ?? defs.find((d) => d.name === last) ?? defs[0]!;
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

/** Per job type and status, at most this many runs are counted (a "+" says the cap was hit). */
export const INSTANCE_COUNT_CAP = 100_000;
/** Durations: the newest this many finished runs of each type in the window. */
export const INSTANCE_DURATION_SAMPLE = 1000;
/** Every viewer of the instance view sees the same figures: one read per range per minute. */
const INSTANCE_SHARE_MS = 60_000;

export type InstanceInsightRow = { jobType: string; label: string; totals: InsightTotals; capped: boolean; sampled: number };
export type InstanceInsights = { range: RangeKey; rows: InstanceInsightRow[]; countCap: number; sample: number; builtAt: string };

type InstanceRow = { job_type: string; completed: number; failed: number; dead_letter: number; cancelled: number; pending: number; running: number; p50: number | null; p95: number | null; sampled: number };

const STATUSES = ["completed", "failed", "dead_letter", "cancelled", "pending", "running"] as const;
const DURATION_STATUSES = ["completed", "failed", "dead_letter"] as const;

/**
 * Every team's runs per job type over the range (instance support and owner: insights:read-all):
 * runs queued in the window, failure rate of finished ones, p50/p95 duration. Each count is one
 * LIMIT-ed range of job_runs_type_status_queued_idx; durations come from the newest
 * INSTANCE_DURATION_SAMPLE finished runs per type (three LIMIT-ed ranges merged), so a 10M-run
 * instance costs a bounded read. Shared across viewers: the figures hold no one team's detail.
 */
export async function getInstanceInsights(range: RangeKey): Promise<InstanceInsights> {
  await requireInstancePermission("insights:read-all");
  return sharedRead(`instance-insights:${range}`, INSTANCE_SHARE_MS, () => readInstanceInsights(range));
}

async function readInstanceInsights(range: RangeKey): Promise<InstanceInsights> {
  const { db } = getDatabase();
  await loadRegisteredTypes(db, { maxAgeMs: 10_000 });
  const defs = allJobDefinitions();
  const since = sql`${new Date(bucketStarts(range)[0]!).toISOString()}::timestamptz`;
  const inWindow = (status: string) => sql`job_type = t.job_type and status = ${sql.raw(`'${status}'`)} and queued_at >= ${since}`;
  const counts = STATUSES.map((s) => sql`(select count(*) from (select 1 from job_runs where ${inWindow(s)} limit ${INSTANCE_COUNT_CAP + 1}) x)::int as ${sql.identifier(s)}`);
  const newest = sql.join(
    DURATION_STATUSES.map((s) => sql`(select queued_at, started_at, completed_at from job_runs where ${inWindow(s)} order by queued_at desc limit ${INSTANCE_DURATION_SAMPLE})`),
    sql` union all `,
  );
  const rows = await db.execute<InstanceRow>(sql`
    select t.job_type, ${sql.join(counts, sql`, `)}, d.p50, d.p95, d.sampled
    from unnest(array[${sql.join(
      defs.map((d) => sql`${d.name}`),
      sql`, `,
    )}]::text[]) as t(job_type)
    cross join lateral (
      select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.95) within group (order by ms) as p95, count(ms)::int as sampled
      from (select extract(epoch from completed_at - started_at) * 1000 as ms from (${newest}) u
            where started_at is not null and completed_at is not null order by queued_at desc limit ${INSTANCE_DURATION_SAMPLE}) n) d`);
  const num = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  const byType = new Map(rows.map((r) => [r.job_type, r]));
  const out = defs.map((def): InstanceInsightRow => {
    const r = byType.get(def.name);
    const capped = r ? STATUSES.some((s) => r[s] > INSTANCE_COUNT_CAP) : false;
    const n = (s: (typeof STATUSES)[number]) => Math.min(r?.[s] ?? 0, INSTANCE_COUNT_CAP);
    const failed = n("failed") + n("dead_letter");
    const finished = failed + n("completed");
    return {
      jobType: def.name,
      label: def.label,
      totals: { runs: STATUSES.reduce((sum, s) => sum + n(s), 0), failed, failureRate: finished > 0 ? failed / finished : null, p50Ms: num(r?.p50 ?? null), p95Ms: num(r?.p95 ?? null) },
      capped,
      sampled: r?.sampled ?? 0,
    };
  });
  out.sort((a, b) => b.totals.runs - a.totals.runs || a.label.localeCompare(b.label));
  return { range, rows: out, countCap: INSTANCE_COUNT_CAP, sample: INSTANCE_DURATION_SAMPLE, builtAt: new Date().toISOString() };
}
