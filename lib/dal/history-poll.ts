import "server-only";
import { createHash } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { getDatabase } from "@/lib/db/client";
import type { RunStatus } from "@/lib/db/schema";
import { allJobDefinitions } from "@/lib/jobs/catalog";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from "@/lib/jobs/lifecycle";
import { publicErrorMessage } from "@/lib/jobs/redact";
import { scheduledFor } from "@/lib/runs/run-at";
import { resolveViewer, type HistoryScope, type Viewer } from "./history";
import { sharedRead } from "./shared-read";

/**
 * The history and monitor pages' refresh (about every 2 s while the tab is visible): the moving
 * fields of the active runs the page shows, and counts by status. Both are shared reads keyed by
 * the viewer's scope (the project, the exact set of readable projects, or "all") and view kind
 * (redacted or not), after resolveViewer checked the permission; the ETag is a hash of the answer.
 */

/** The page shows at most 100 rows; more ids than that is not a page asking. */
export const POLL_MAX_IDS = 100;
/** Finished runs are counted over this recent window only (by index range), never all time. */
export const COUNT_WINDOW_HOURS = 24;
/** Per status, at most this many rows are counted; more shows as "10,000+". */
export const COUNT_CAP = 10_000;
const ROWS_SHARE_MS = 1000;
const COUNTS_SHARE_MS = 2000;
/** Beyond this many job types the all-projects count is left to the planner as one scan. */
const MAX_TYPES = 120;

/** The fields of a run that move while it is watched. */
export type RunPatch = {
  id: string;
  status: RunStatus;
  attempts: number;
  maxAttempts: number;
  scheduledFor: string | null;
  durationMs: number | null;
  error: string | null;
  progressPercent: number | null;
  stage: string | null;
  lastHeartbeat: string | null;
  finishedAt: string | null;
};

/** Active runs exactly; finished ones queued in the last `windowHours`, each capped at `cap` (`capped` lists those that hit it). */
export type StatusCounts = { counts: Record<RunStatus, number>; capped: RunStatus[]; windowHours: number; cap: number };

export type HistoryPoll = { etag: string; notModified: true } | { etag: string; notModified: false; body: { runs: RunPatch[]; counts: StatusCounts } };

const dialect = new PgDialect();

/** Planned with the actual values (a generic plan would not know the scope's size). */
async function run<T>(query: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await getDatabase().sql.unsafe(text, params as never[], { prepare: false })) as unknown as T[];
}

const list = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

/** The shared-read key part naming the viewer's data scope: never a user, only what they may read. */
function scopeKey(viewer: Viewer): string {
  if (viewer.projects === "all") return "all";
  const ids = viewer.projects.map((p) => p.id).sort();
  return ids.length === 1 ? `p:${ids[0]}` : `ps:${createHash("sha1").update(ids.join(",")).digest("base64url")}`;
}

function scopeCondition(viewer: Viewer, column = "project_id"): SQL {
  const c = sql.raw(column);
  if (viewer.projects === "all") return sql`${c} is not null`;
  return sql`${c} in (${list(viewer.projects.map((p) => p.id))})`;
}

type PatchRow = {
  id: string;
  status: RunStatus;
  attempt_count: number;
  max_attempts: number;
  run_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  error_message_public: string | null;
  progress_percent: number | null;
  current_stage: string | null;
  last_heartbeat: Date | null;
};

/** The listed runs that lie in the viewer's scope; the others are left out, existence included. */
async function readPatches(viewer: Viewer, ids: string[]): Promise<RunPatch[]> {
  const rows = await run<PatchRow>(sql`
    select r.id, r.status, r.attempt_count, r.max_attempts, r.run_at, r.started_at, r.completed_at, r.error_message, r.error_message_public,
      r.progress_percent, r.current_stage, r.last_heartbeat
    from job_runs r join projects p on p.id = r.project_id and p.deleted_at is null
    where r.id in (${list(ids)}) and ${scopeCondition(viewer, "r.project_id")}
    order by r.id`);
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    attempts: r.attempt_count,
    maxAttempts: r.max_attempts,
    scheduledFor: scheduledFor({ status: r.status, attempts: r.attempt_count, runAt: new Date(r.run_at) }),
    durationMs: r.started_at && r.completed_at ? new Date(r.completed_at).getTime() - new Date(r.started_at).getTime() : null,
    error: r.error_message === null ? null : viewer.unredacted ? r.error_message : (r.error_message_public ?? publicErrorMessage(r.error_message)),
    progressPercent: r.progress_percent,
    stage: r.current_stage,
    lastHeartbeat: r.last_heartbeat ? new Date(r.last_heartbeat).toISOString() : null,
    finishedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
  }));
}

/**
 * One statement of scalar subqueries. Active statuses are counted exactly (the few active runs,
 * through the partial active indexes). Each finished status is one index range over the window,
 * (project_id, status, queued_at) on job_runs_finished_status_idx, or (job_type, status,
 * queued_at) across all projects, LIMIT-ed at COUNT_CAP + 1 so a busy day costs a bounded read.
 */
async function readCounts(viewer: Viewer): Promise<StatusCounts> {
  const scope = scopeCondition(viewer);
  const since = new Date(Date.now() - COUNT_WINDOW_HOURS * 3600_000).toISOString();
  let byType = sql``;
  if (viewer.projects === "all") {
    await loadRegisteredTypes(getDatabase().db, { maxAgeMs: 10_000 });
    const types = allJobDefinitions().map((d) => d.name);
    if (types.length <= MAX_TYPES) byType = sql` and job_type in (${list(types)})`;
  }
  const active = ACTIVE_STATUSES.map((s) => sql`(select count(*) from job_runs where status = ${sql.raw(`'${s}'`)} and ${scope})::int as ${sql.identifier(s)}`);
  const finished = TERMINAL_STATUSES.map(
    (s) =>
      sql`(select count(*) from (select 1 from job_runs where status = ${sql.raw(`'${s}'`)} and ${scope}${byType} and queued_at >= ${since}::timestamptz limit ${COUNT_CAP + 1}) x)::int as ${sql.identifier(s)}`,
  );
  const [row] = await run<Record<RunStatus, number>>(sql`select ${sql.join([...active, ...finished], sql`, `)}`);
  const counts = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, dead_letter: 0, ...row };
  const capped = TERMINAL_STATUSES.filter((s) => counts[s] > COUNT_CAP);
  for (const s of capped) counts[s] = COUNT_CAP;
  return { counts, capped, windowHours: COUNT_WINDOW_HOURS, cap: COUNT_CAP };
}

const EMPTY_COUNTS: StatusCounts = { counts: { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, dead_letter: 0 }, capped: [], windowHours: COUNT_WINDOW_HOURS, cap: COUNT_CAP };

/**
 * Answer one refresh: the listed runs the viewer may read (others are simply absent) and the
 * counts. `ids` must already be valid uuids, at most POLL_MAX_IDS. Throws AccessError like every
 * DAL read (signed out, no access to the project).
 */
export async function pollHistory(scope: HistoryScope, ids: readonly string[], ifNoneMatch: string | null): Promise<HistoryPoll> {
  const viewer = await resolveViewer(scope);
  const wanted = [...new Set(ids.map((id) => id.toLowerCase()))].sort().slice(0, POLL_MAX_IDS);
  const empty = viewer.projects !== "all" && viewer.projects.length === 0;
  const key = scopeKey(viewer);
  const kind = viewer.unredacted ? "u" : "r";
  const idsKey = createHash("sha1").update(wanted.join(",")).digest("base64url");
  const [runs, counts] = await Promise.all([
    empty || wanted.length === 0 ? [] : sharedRead(`history-runs:${kind}:${key}:${idsKey}`, ROWS_SHARE_MS, () => readPatches(viewer, wanted)),
    empty ? EMPTY_COUNTS : sharedRead(`history-counts:${key}`, COUNTS_SHARE_MS, () => readCounts(viewer)),
  ]);
  const body = { runs, counts };
  const etag = `"h1.${kind}.${createHash("sha1").update(JSON.stringify([key, body])).digest("base64url").slice(0, 24)}"`;
  if (ifNoneMatch === etag) return { etag, notModified: true };
  return { etag, notModified: false, body };
}
