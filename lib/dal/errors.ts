import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { getDatabase } from "@/lib/db/client";
import type { RunStatus } from "@/lib/db/schema";
import { allJobDefinitions, getJobDefinition } from "@/lib/jobs/catalog";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { safeText } from "@/lib/validation/safe-text";
import { requireInstancePermission } from "./instance";
import { bucketStarts, RANGES, type RangeKey } from "./ranges";
import { decodeCursor, encodeCursor } from "./runs";

/** Runs with an error: ended badly, or waiting for / making another attempt after one. */
const ERROR_STATUSES: RunStatus[] = ["failed", "dead_letter", "pending", "running"];
/** At most this many erroring runs are aggregated per view; the page says when the cap was hit. */
export const ERROR_SCAN_CAP = 50_000;
export const ERROR_RUNS_PAGE_SIZE = 25;

export type ErrorGroup = {
  jobType: string;
  jobLabel: string;
  subType: string;
  type: string;
  source: string;
  maxSeverity: number;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** Count per bucket, oldest first, aligned with ErrorSummary.buckets. */
  series: number[];
};

export type ErrorSummary = { range: RangeKey; buckets: string[]; groups: ErrorGroup[]; scanned: number; capped: boolean };

const jobTypeList = () =>
  sql.join(
    allJobDefinitions().map((d) => sql`${d.name}`),
    sql`, `,
  );
const statusList = () =>
  sql.join(
    ERROR_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );

/**
 * Errors across all teams (errors:read-unredacted: support), grouped by job type and error sub-type, with counts per
 * hour (24 h) or day (7 d). Bounded: runs queued inside the window, by job_runs_type_status_queued_idx
 * (every catalog type × the error statuses), at most ERROR_SCAN_CAP rows.
 */
export async function getErrorSummary(range: RangeKey): Promise<ErrorSummary> {
  await requireInstancePermission("errors:read-unredacted");
  await loadRegisteredTypes(getDatabase().db);
  const starts = bucketStarts(range);
  const since = new Date(starts[0]!);
  const bucketSeconds = RANGES[range].bucketHours * 3600;
  const rows = await getDatabase().db.execute<{
    job_type: string;
    sub_type: string;
    type: string;
    source: string;
    bucket: number;
    n: number;
    max_severity: number;
    first_seen: string | Date;
    last_seen: string | Date;
    scanned: number;
  }>(sql`
    with hits as (
      select job_type, error, coalesce(completed_at, updated_at) as at
      from job_runs
      where job_type in (${jobTypeList()}) and status in (${statusList()}) and queued_at >= ${since.toISOString()}::timestamptz and error is not null
      limit ${ERROR_SCAN_CAP + 1})
    select job_type, coalesce(error->>'subType', 'unknown') as sub_type, coalesce(error->>'type', 'unknown') as type,
      coalesce(error->>'source', 'unknown') as source,
      floor((extract(epoch from at) - ${starts[0]! / 1000}) / ${bucketSeconds})::int as bucket,
      count(*)::int as n, max(coalesce((error->>'severity')::int, 0))::int as max_severity,
      min(at) as first_seen, max(at) as last_seen, (select count(*) from hits)::int as scanned
    from hits
    group by 1, 2, 3, 4, 5
    limit 5000`);
  const groups = new Map<string, ErrorGroup>();
  for (const r of rows) {
    const key = `${r.job_type}\u0000${r.sub_type}`;
    const g =
      groups.get(key) ??
      ({
        jobType: r.job_type,
        jobLabel: getJobDefinition(r.job_type)?.label ?? r.job_type,
        subType: r.sub_type,
        type: r.type,
        source: r.source,
        maxSeverity: 0,
        count: 0,
        firstSeen: new Date(r.first_seen).toISOString(),
        lastSeen: new Date(r.last_seen).toISOString(),
        series: starts.map(() => 0),
      } satisfies ErrorGroup);
    g.count += r.n;
    g.maxSeverity = Math.max(g.maxSeverity, r.max_severity);
    if (new Date(r.first_seen).toISOString() < g.firstSeen) g.firstSeen = new Date(r.first_seen).toISOString();
    if (new Date(r.last_seen).toISOString() > g.lastSeen) g.lastSeen = new Date(r.last_seen).toISOString();
    const i = Math.min(starts.length - 1, Math.max(0, r.bucket));
    g.series[i] = (g.series[i] ?? 0) + r.n;
    groups.set(key, g);
  }
  const scanned = rows[0]?.scanned ?? 0;
  return {
    range,
    buckets: starts.map((s) => new Date(s).toISOString()),
    groups: [...groups.values()].sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen)),
    scanned: Math.min(scanned, ERROR_SCAN_CAP),
    capped: scanned > ERROR_SCAN_CAP,
  };
}

export type ErrorRunItem = {
  id: string;
  projectSlug: string | null;
  projectName: string | null;
  teamName: string | null;
  status: RunStatus;
  attempts: number;
  queuedAt: string;
  message: string | null;
  severity: number | null;
};

export type ErrorRunPage = { rows: ErrorRunItem[]; nextCursor: string | null };

const filterSchema = z.object({ jobType: safeText().max(80), subType: safeText().max(80) });

/** The runs behind one error group, newest first, keyset-paged (errors:read-unredacted; unredacted). */
export async function listErrorRuns(range: RangeKey, jobType: string, subType: string, cursor?: string): Promise<ErrorRunPage> {
  await requireInstancePermission("errors:read-unredacted");
  await loadRegisteredTypes(getDatabase().db);
  if (!filterSchema.safeParse({ jobType, subType }).success || !getJobDefinition(jobType)) return { rows: [], nextCursor: null };
  const since = new Date(bucketStarts(range)[0]!);
  const after = decodeCursor(cursor);
  const rows = await getDatabase().db.execute<{
    id: string;
    slug: string | null;
    project_name: string | null;
    team_name: string | null;
    status: RunStatus;
    attempt_count: number;
    queued_at: string | Date;
    message: string | null;
    severity: number | null;
  }>(sql`
    select r.id, p.slug, p.name as project_name, t.name as team_name, r.status, r.attempt_count, r.queued_at,
      r.error->>'message' as message, (r.error->>'severity')::int as severity
    from job_runs r
    left join projects p on p.id = r.project_id
    left join teams t on t.id = r.team_id
    where r.job_type = ${jobType} and r.status in (${statusList()}) and r.queued_at >= ${since.toISOString()}::timestamptz and r.error is not null
      and coalesce(r.error->>'subType', 'unknown') = ${subType}
      ${after ? sql`and (r.queued_at, r.id) < (${after.queuedAt.toISOString()}::timestamptz, ${after.id}::uuid)` : sql``}
    order by r.queued_at desc nulls last, r.id desc nulls last
    limit ${ERROR_RUNS_PAGE_SIZE + 1}`);
  const page = rows.slice(0, ERROR_RUNS_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page.map((r) => ({
      id: r.id,
      projectSlug: r.slug,
      projectName: r.project_name,
      teamName: r.team_name,
      status: r.status,
      attempts: r.attempt_count,
      queuedAt: new Date(r.queued_at).toISOString(),
      message: r.message,
      severity: r.severity,
    })),
    nextCursor: rows.length > ERROR_RUNS_PAGE_SIZE && last ? encodeCursor(new Date(last.queued_at), last.id) : null,
  };
}
