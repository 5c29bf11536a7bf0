import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { z } from "zod";
import { canInstance, permissionsFor } from "@/lib/auth/permissions";
import { envNumber } from "@/lib/config";
import { getDatabase } from "@/lib/db/client";
import { RUN_SEARCH_TEXT, type RunStatus } from "@/lib/db/schema";
import { allJobDefinitions, getJobDefinition } from "@/lib/jobs/catalog";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from "@/lib/jobs/lifecycle";
import { publicErrorMessage } from "@/lib/jobs/redact";
import { decodeHistoryCursor, encodeHistoryCursor, type HistoryFilter } from "@/lib/runs/history-filter";
import { AccessError, requireProjectPermission } from "./access";
import { cancelProjectRun, redriveProjectRun } from "./runs";
import { getCurrentUser, type CurrentUser } from "./users";
import { scheduledFor } from "@/lib/runs/run-at";

/** One project (needs jobs:read there), or every project the user may read (the monitor). */
export type HistoryScope = { project: string } | "monitor";

export type HistoryRow = {
  id: string;
  project: { slug: string; name: string };
  jobType: string;
  jobLabel: string;
  status: RunStatus;
  attempts: number;
  maxAttempts: number;
  queuedAt: string;
  /** A later run not yet due: when it starts. */
  scheduledFor: string | null;
  durationMs: number | null;
  triggeredBy: { id: string; name: string } | null;
  resource: { type: string; id: string } | null;
  /** Redacted for tenants; support sees it as stored. */
  error: string | null;
  /** Set only by the page's refresh (lib/dal/history-poll.ts) while the run is active. */
  progressPercent?: number | null;
  stage?: string | null;
};

/** exact; or an estimate ("about N"); or, when the estimate is below what the page already shows, a lower bound ("more than N"). */
export type HistoryCount = { value: number; exact: boolean; lowerBound?: boolean };

export type HistoryPage = {
  rows: HistoryRow[];
  nextCursor: string | null;
  prevCursor: string | null;
  count: HistoryCount;
  /** Projects in scope (-1: every project, for support). */
  projectCount: number;
  /** Whether bulk retry and cancel may be offered (each run is still checked). */
  canWrite: boolean;
  /**
   * Set when a search read only `read` runs (in order) for this page: runs further `toward` may
   * match too, and the cursor `more` (next or prev) goes on from the last run read.
   */
  search?: { read: number; toward: "older" | "newer"; more: "next" | "prev" | null };
};

type ProjectRef = { id: string; slug: string; name: string };
export type Viewer = { user: CurrentUser; unredacted: boolean; projects: ProjectRef[] | "all"; canWrite: boolean };

/** Exact counts up to this many rows; beyond it the planner's estimate ("about N"). */
export const EXACT_COUNT_LIMIT = 1000;
/** Beyond this many index ranges the query is left to the planner as one scan. */
const MAX_BRANCHES = 120;
const MAX_MONITOR_PROJECTS = 500;
/** Text search first reads at most this many of the newest runs in scope (see listRuns). */
const SEARCH_SCAN = 2000;
/**
 * A term that is neither frequent among the newest runs nor rare overall (thousands of matches
 * spread over years) has no fast plan: the trigram index would fetch every match to sort them.
 * Past this budget (ms; 0: never ask the index) the page reads the next HISTORY_SEARCH_DEEP runs
 * in order instead, says so, and its next cursor goes on from where it stopped.
 */
const searchBudgetMs = () => envNumber("HISTORY_SEARCH_BUDGET_MS", 250);
const searchDeep = () => envNumber("HISTORY_SEARCH_DEEP", 20_000);
/**
 * A count the planner prices above this (its cost units; ~2 µs each on a warm cache) is not run:
 * 1,001 rows spread over thousands of heap pages would outlast the time budget anyway.
 */
const COUNT_COST_CEILING = 5000;
/** An exact count may take this long (ms); past it the count is the planner's estimate. */
const countBudgetMs = () => envNumber("HISTORY_COUNT_BUDGET_MS", 15);
const dialect = new PgDialect();

// ---------------------------------------------------------------------------------------------
// Scope

/** Who reads and which projects: one project (jobs:read there), the user's readable projects, or all (support). */
export async function resolveViewer(scope: HistoryScope): Promise<Viewer> {
  if (scope !== "monitor") {
    const access = await requireProjectPermission(scope.project, "jobs:read");
    return { user: access.user, unredacted: access.unredacted, projects: [{ id: access.project.id, slug: access.project.slug, name: access.project.name }], canWrite: access.permissions.has("jobs:write") };
  }
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  // Support reads every project; bulk retry and cancel in the monitor stay with team members.
  if (canInstance(user.instanceRole, "runs:read-all")) return { user, unredacted: canInstance(user.instanceRole, "errors:read-unredacted"), projects: "all", canWrite: false };
  // The user's teams' projects where their role or grants give jobs:read, read fresh.
  const rows = await getDatabase().db.execute<{ id: string; slug: string; name: string; role: "owner" | "admin" | "member"; grants: string[] }>(sql`
    select p.id, p.slug, p.name, m.role, m.grants
    from team_members m join projects p on p.team_id = m.team_id and p.deleted_at is null
    where m.user_id = ${user.id}
    order by p.name limit ${MAX_MONITOR_PROJECTS}`);
  const held = rows.map((r) => ({ ...r, permissions: permissionsFor({ role: r.role, grants: r.grants }, user.instanceRole) }));
  const projects = held.filter((r) => r.permissions.has("jobs:read")).map(({ id, slug, name }) => ({ id, slug, name }));
  return { user, unredacted: false, projects, canWrite: held.some((r) => r.permissions.has("jobs:write")) };
}

// ---------------------------------------------------------------------------------------------
// Query building

const literalList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", "));
const params = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Text search as the trigram index should answer it: only the term's longest word goes to the
 * index, and the whole term is checked on the rows it finds (`strpos`, which the index cannot
 * take). A short word of an id ("8f06" in "19b0dd56-8f06") brings trigrams so common that reading
 * their posting lists took 18 ms at 10M runs, where the long word alone took 3.
 */
function indexedSearch(q: string): SQL {
  const longest = (q.match(/[\p{L}\p{N}]+/gu) ?? []).reduce((a, b) => (b.length > a.length ? b : a), "");
  if (longest.length < 3 || longest.length === q.length) return containsTerm(q);
  return sql`${containsTerm(longest)} and strpos(lower(${RUN_SEARCH_TEXT}), lower(${q})) > 0`;
}

/** The search text contains `q`, case-insensitively (the trigram index can answer it). */
const containsTerm = (q: string) => sql`${RUN_SEARCH_TEXT} ilike ${`%${escapeLike(q)}%`}`;

/** Conditions every branch shares: all filters except status and scope, and the keyset. */
function filterConditions(filter: HistoryFilter, viewer: Viewer, keyset: SQL | null): SQL[] {
  const c: SQL[] = [];
  if (filter.jobType.length) c.push(sql`job_type in (${params(filter.jobType)})`);
  if (filter.triggeredBy) c.push(sql`triggered_by = ${filter.triggeredBy === "me" ? viewer.user.id : filter.triggeredBy}::uuid`);
  if (filter.from) c.push(sql`queued_at >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) c.push(sql`queued_at < ${filter.to.toISOString()}::timestamptz`);
  if (filter.resourceType) c.push(sql`resource_type = ${filter.resourceType}`);
  if (filter.resourceId) c.push(sql`resource_id = ${filter.resourceId}::uuid`);
  if (filter.q) c.push(indexedSearch(filter.q));
  if (keyset) c.push(keyset);
  return c;
}

const and = (conds: SQL[]) => sql.join(conds, sql` and `);

type Plan = { where: SQL[] }[];

/**
 * The page is the merge of index ranges, each read newest-first with a LIMIT: active runs (few,
 * through job_runs_active_idx), and finished runs per project (and per status when filtered, on
 * the partial job_runs_finished_status_idx). Text search and "triggered by" go to their own
 * indexes as one scan. Status lists are literals so the planner can match the partial indexes.
 */
function planBranches(filter: HistoryFilter, viewer: Viewer, common: SQL[]): Plan {
  const statuses = filter.status.length ? filter.status : [...ACTIVE_STATUSES, ...TERMINAL_STATUSES];
  const active = statuses.filter((s) => (ACTIVE_STATUSES as readonly string[]).includes(s));
  const finished = statuses.filter((s) => (TERMINAL_STATUSES as readonly string[]).includes(s));
  const projectIds = viewer.projects === "all" ? null : viewer.projects.map((p) => p.id);
  const inScope = projectIds ? sql`project_id in (${params(projectIds)})` : sql`project_id is not null`;
  const plan: Plan = [];
  if (active.length) plan.push({ where: [sql`status in (${literalList(active)})`, inScope, ...common] });
  if (!finished.length) return plan;

  const oneScan = () => plan.push({ where: [sql`status in (${literalList(finished)})`, inScope, ...common] });
  if (filter.q || filter.triggeredBy || filter.resourceId) {
    oneScan();
  } else if (!projectIds) {
    // Every project (support): per job type and status on job_runs_type_status_queued_idx.
    const types = filter.jobType.length ? filter.jobType : allJobDefinitions().map((d) => d.name);
    if (types.length * finished.length > MAX_BRANCHES) oneScan();
    else for (const t of types) for (const s of finished) plan.push({ where: [sql`job_type = ${t}`, sql`status = ${sql.raw(`'${s}'`)}`, inScope, ...common] });
  } else {
    const byStatus = filter.status.length > 0;
    const count = projectIds.length * (byStatus ? finished.length : 1);
    if (count > MAX_BRANCHES || projectIds.length === 0) oneScan();
    else
      for (const id of projectIds) {
        if (byStatus) for (const s of finished) plan.push({ where: [sql`project_id = ${id}::uuid`, sql`status = ${sql.raw(`'${s}'`)}`, ...common] });
        else plan.push({ where: [sql`project_id = ${id}::uuid`, sql`status in (${literalList(finished)})`, ...common] });
      }
  }
  return plan;
}

const ROW_COLUMNS = sql.raw(
  "id, project_id, job_type, status, attempt_count, max_attempts, queued_at, run_at, started_at, completed_at, triggered_by, resource_type, resource_id, error_message, error_message_public",
);

type RawRow = {
  id: string;
  project_id: string;
  job_type: string;
  status: RunStatus;
  attempt_count: number;
  max_attempts: number;
  key: string;
  run_at: Date | string;
  started_at: Date | null;
  completed_at: Date | null;
  triggered_by: string | null;
  triggered_by_name: string | null;
  resource_type: string | null;
  resource_id: string | null;
  error_message: string | null;
  error_message_public: string | null;
  project_slug: string;
  project_name: string;
  /** Position among the rows read before filtering: how far a search scan had to read. */
  pos: number;
  /** Whether the row matches the search (a search scan also returns the last row it read). */
  matched: boolean;
};

/**
 * Run through postgres.js as an unnamed statement: planned with the actual values every time (a
 * cached generic plan would not know how big this project is or how rare this search term).
 */
async function run<T>(query: SQL): Promise<T[]> {
  const { sql: text, params: values } = dialect.sqlToQuery(query);
  return (await getDatabase().sql.unsafe(text, values as never[], { prepare: false })) as unknown as T[];
}

// ---------------------------------------------------------------------------------------------
// The page

export async function listRuns(scope: HistoryScope, filter: HistoryFilter): Promise<HistoryPage> {
  const viewer = await resolveViewer(scope);
  // Types other services' workers registered: their labels, and their runs in the per-type plan.
  // A second old at most: a type registers once per worker start, pages are read many times a second.
  await loadRegisteredTypes(getDatabase().db, { maxAgeMs: 1_000 });
  const projectCount = viewer.projects === "all" ? -1 : viewer.projects.length;
  if (viewer.projects !== "all" && viewer.projects.length === 0) return { rows: [], nextCursor: null, prevCursor: null, count: { value: 0, exact: true }, projectCount, canWrite: viewer.canWrite };

  const cursor = decodeHistoryCursor(filter.cursor, filter.sort);
  const backwards = cursor?.direction === "prev";
  // Newest first unless sorted ascending; a "previous" page reads the other way and is reversed.
  const descending = (filter.sort === "queued_desc") !== backwards;
  // Spelled as the indexes are (drizzle's .desc() is DESC NULLS LAST): a plain "desc" means
  // NULLS FIRST, which those indexes cannot deliver, and the planner would sort a whole project.
  const dir = sql.raw(descending ? "desc nulls last" : "asc nulls first");
  const keyset = cursor ? sql`(queued_at, id) ${sql.raw(descending ? "<" : ">")} (${cursor.key}::timestamptz, ${cursor.id}::uuid)` : null;
  const limit = filter.limit;

  /**
   * One page: the merged index ranges, newest first (or oldest), at most `mergedLimit` rows read.
   * A scan (`match`) reads them in order and keeps the matches, and also the row at `mergedLimit`
   * when there is one, so the caller knows whether the scope ran out and where the next page goes on.
   */
  const page = (f: HistoryFilter, mergedLimit: number, match: SQL | null) => {
    const extra = match ? sql`, payload_public` : sql``;
    const branches = planBranches(f, viewer, filterConditions(f, viewer, keyset)).map(
      (b) => sql`(select ${ROW_COLUMNS}${extra} from job_runs where ${and(b.where)} order by queued_at ${dir}, id ${dir} limit ${mergedLimit})`,
    );
    if (branches.length === 0) return null;
    // The row at `mergedLimit` exists only if the scope held that many; row_number() streams, so a
    // scan that finds its page early stops reading there.
    const where = match ? sql`where matched or pos = ${mergedLimit}` : sql``;
    return sql`
      select r.id, r.project_id, r.job_type, r.status, r.attempt_count, r.max_attempts, r.run_at, r.started_at, r.completed_at,
        r.triggered_by, r.resource_type, r.resource_id, r.error_message, r.error_message_public, r.pos, r.matched,
        to_char(r.queued_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as key,
        u.name as triggered_by_name, p.slug as project_slug, p.name as project_name
      from (select * from (select *, (row_number() over (order by queued_at ${dir}, id ${dir}))::int as pos, ${match ?? sql`true`} as matched
              from (select * from (${sql.join(branches, sql` union all `)}) b order by queued_at ${dir}, id ${dir} limit ${mergedLimit}) m0) m
            ${where}
            order by queued_at ${dir}, id ${dir} limit ${limit + 1}) r
      join projects p on p.id = r.project_id
      left join users u on u.id = r.triggered_by
      order by r.queued_at ${dir}, r.id ${dir}`;
  };

  let raw: RawRow[] | null = null;
  let sample: SearchSample | null = null;
  // Where a bounded search stopped reading, when it stopped before the end of the scope.
  let stoppedAt: RawRow | null = null;
  let searchedRuns = 0;
  const pageQuery = page(filter, limit + 1, null);
  if (!pageQuery) return { rows: [], nextCursor: null, prevCursor: null, count: { value: 0, exact: true }, projectCount, canWrite: viewer.canWrite };
  if (filter.q) {
    const match = containsTerm(filter.q);
    const unsearched = { ...filter, q: undefined };
    // A frequent term is found fastest by reading the newest runs and matching as we go; read at
    // most SEARCH_SCAN of them. If that was the whole scope, its matches are the answer; if they
    // do not fill the page, ask the trigram index (a rare term answers from it at once).
    const scanned = await run<RawRow>(page(unsearched, SEARCH_SCAN, match)!);
    const found = scanned.filter((r) => r.matched);
    if (found.length > limit) {
      raw = found;
      sample = { matched: found.length, read: found.at(-1)!.pos };
    } else if (!scanned.some((r) => r.pos === SEARCH_SCAN)) {
      raw = found;
    } else {
      const budget = searchBudgetMs();
      raw = budget > 0 ? await runWithin<RawRow>(pageQuery, budget) : null;
      if (!raw) {
        // Too many matches further back for the index to sort in time: read on in order, bounded.
        const depth = searchDeep();
        const deep = await run<RawRow>(page(unsearched, depth, match)!);
        raw = deep.filter((r) => r.matched);
        const last = deep.find((r) => r.pos === depth);
        if (last) {
          searchedRuns = last.pos;
          if (raw.length <= limit) stoppedAt = last;
        }
      }
    }
  }
  raw ??= await run<RawRow>(pageQuery);
  const hasMore = raw.length > limit || stoppedAt !== null;
  const shown = Math.min(raw.length, limit);
  let count: HistoryCount;
  if (searchedRuns) count = { value: shown, exact: false, lowerBound: true };
  // A first page that holds every match is its own exact count: no count query at all.
  else count = !cursor && !hasMore ? { value: shown, exact: true } : await countRuns(filter, viewer, sample);
  // An estimate below what this page proves exists would be wrong: say "more than" instead.
  if (!count.exact && count.value <= shown) count = { value: shown, exact: false, lowerBound: true };
  const read = raw.slice(0, limit);
  // The row the next page (in reading direction) starts after.
  const edge = stoppedAt ?? read.at(-1);
  const rows = backwards ? [...read].reverse() : read;
  const cursorOf = (row: { key: string; id: string } | undefined, direction: "next" | "prev") => (row ? encodeHistoryCursor({ sort: filter.sort, key: row.key, id: row.id, direction }) : null);
  // The way back starts at the first row read, or, when a bounded search found none, at the cursor
  // this page started from (else an empty page would strand the reader).
  const start = read[0] ?? cursor ?? undefined;
  return {
    rows: rows.map((r) => toRow(r, viewer.unredacted)),
    nextCursor: backwards ? cursorOf(start, "next") : hasMore ? cursorOf(edge, "next") : null,
    prevCursor: backwards ? (hasMore ? cursorOf(edge, "prev") : null) : cursor ? cursorOf(start, "prev") : null,
    count,
    projectCount,
    canWrite: viewer.canWrite,
    ...(searchedRuns
      ? { search: { read: searchedRuns, toward: descending ? "older" : "newer", more: stoppedAt ? (backwards ? "prev" : "next") : null } as const }
      : {}),
  };
}

function toRow(r: RawRow, unredacted: boolean): HistoryRow {
  return {
    id: r.id,
    project: { slug: r.project_slug, name: r.project_name },
    jobType: r.job_type,
    jobLabel: getJobDefinition(r.job_type)?.label ?? r.job_type,
    status: r.status,
    attempts: r.attempt_count,
    maxAttempts: r.max_attempts,
    queuedAt: r.key.replace(/\d{3}Z$/, "Z"),
    scheduledFor: scheduledFor({ status: r.status, attempts: r.attempt_count, runAt: new Date(r.run_at) }),
    durationMs: r.started_at && r.completed_at ? new Date(r.completed_at).getTime() - new Date(r.started_at).getTime() : null,
    triggeredBy: r.triggered_by && r.triggered_by_name ? { id: r.triggered_by, name: r.triggered_by_name } : null,
    resource: r.resource_type && r.resource_id ? { type: r.resource_type, id: r.resource_id } : null,
    // Tenants: the message redacted when it was written (rows older than that: redacted now, capped).
    error: r.error_message === null ? null : unredacted ? r.error_message : (r.error_message_public ?? publicErrorMessage(r.error_message)),
  };
}

/** A search scan's evidence: `matched` runs among the first `read` runs in scope. */
type SearchSample = { matched: number; read: number };

type PlanNode = { "Node Type": string; "Plan Rows": number; "Total Cost": number; Plans?: PlanNode[] };

/** The planner's rows for each LIMIT-ed count subquery (what the LIMIT cuts off included). */
function rowsUnderLimits(node: PlanNode): number {
  if (node["Node Type"] === "Limit" && node.Plans?.[0]) return node.Plans[0]["Plan Rows"];
  return (node.Plans ?? []).reduce((sum, child) => sum + rowsUnderLimits(child), 0);
}

async function explain(query: SQL): Promise<PlanNode> {
  const [plan] = await run<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(sql`explain (format json) ${query}`);
  return plan!["QUERY PLAN"][0].Plan;
}

/** The count query: active and finished runs apart, so each part can use its own (partial) indexes. */
function countQuery(filter: HistoryFilter, viewer: Viewer): SQL {
  const statuses = filter.status.length ? filter.status : [...ACTIVE_STATUSES, ...TERMINAL_STATUSES];
  const parts = [statuses.filter((s) => (ACTIVE_STATUSES as readonly string[]).includes(s)), statuses.filter((s) => (TERMINAL_STATUSES as readonly string[]).includes(s))].filter((p) => p.length > 0);
  const scope = viewer.projects === "all" ? sql`project_id is not null` : sql`project_id in (${params(viewer.projects.map((p) => p.id))})`;
  const counts = parts.map(
    (part) => sql`(select count(*) from (select 1 from job_runs where ${and([sql`status in (${literalList(part)})`, scope, ...filterConditions(filter, viewer, null)])} limit ${EXACT_COUNT_LIMIT + 1}) s)`,
  );
  return sql`select (${sql.join(counts, sql` + `)})::int as n`;
}

/**
 * Exact when small, otherwise an estimate ("about N"). One EXPLAIN of the count query (a plan, no
 * rows read) says how many rows the planner expects and what counting them would cost; only a
 * small, cheap count is run, over LIMIT-ed subqueries and within a time budget, so a count never
 * walks a big range. For text search the planner's guess for `ilike` can be far off, so a search
 * that filled its page from the newest runs extrapolates from that sample instead.
 */
async function countRuns(filter: HistoryFilter, viewer: Viewer, sample: SearchSample | null): Promise<HistoryCount> {
  if (sample) {
    const inScope = rowsUnderLimits(await explain(countQuery({ ...filter, q: undefined }, viewer)));
    const extrapolated = Math.round((sample.matched / sample.read) * inScope);
    if (extrapolated > 2 * EXACT_COUNT_LIMIT) return { value: extrapolated, exact: false };
  }
  const query = countQuery(filter, viewer);
  const plan = await explain(query);
  const estimate = Math.round(rowsUnderLimits(plan));
  if (estimate > 2 * EXACT_COUNT_LIMIT || plan["Total Cost"] > COUNT_COST_CEILING) return { value: estimate, exact: false };
  const counted = await runWithin<{ n: number }>(query, countBudgetMs());
  if (counted === null) return { value: estimate, exact: false };
  const n = counted[0]?.n ?? 0;
  return n <= EXACT_COUNT_LIMIT ? { value: n, exact: true } : { value: Math.max(estimate, EXACT_COUNT_LIMIT + 1), exact: false };
}

/** The rows, or null when the query would take longer than `budgetMs` (statement_timeout). */
async function runWithin<T>(query: SQL, budgetMs: number): Promise<T[] | null> {
  const { sql: text, params: values } = dialect.sqlToQuery(query);
  try {
    const rows = await getDatabase().sql.begin(async (tx) => {
      await tx.unsafe(`set local statement_timeout = ${Math.max(1, Math.round(budgetMs))}`);
      return tx.unsafe(text, values as never[], { prepare: false });
    });
    return rows as unknown as T[];
  } catch (error) {
    if ((error as { code?: string }).code === "57014") return null; // query_canceled
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Filter choices

export type HistoryOptions = { jobTypes: { name: string; label: string }[]; people: { id: string; name: string }[] };

/** Job types and the people who can trigger runs in scope (the toolbar's choices), bounded. */
export async function getHistoryOptions(scope: HistoryScope): Promise<HistoryOptions> {
  const viewer = await resolveViewer(scope);
  await loadRegisteredTypes(getDatabase().db, { maxAgeMs: 10_000 });
  const jobTypes = allJobDefinitions().filter((d) => d.scope === "project" || viewer.unredacted).map((d) => ({ name: d.name, label: d.label }));
  if (viewer.projects === "all" || viewer.projects.length === 0) return { jobTypes, people: [] };
  const people = await run<{ id: string; name: string }>(sql`
    select distinct u.id, u.name from users u
    join team_members m on m.user_id = u.id
    join projects p on p.team_id = m.team_id
    where p.id in (${params(viewer.projects.map((p) => p.id))})
    order by u.name limit 200`);
  return { jobTypes, people };
}

// ---------------------------------------------------------------------------------------------
// Bulk retry and cancel

export const BULK_MAX = 100;
export type BulkKind = "cancel" | "retry";
export type BulkOutcome = "cancelled" | "cancelling" | "retried" | "skipped" | "forbidden" | "not_found";
export type BulkResult = { runId: string; outcome: BulkOutcome; reason?: string }[];

const runIdsSchema = z.array(z.uuid()).min(1).max(BULK_MAX);

/**
 * Cancel or retry the selected runs. Runs are grouped by project and each project needs
 * jobs:write; runs the user may not see are "not found" (never revealed), and on a project they
 * may only read, "forbidden". Every run reports its own outcome.
 */
export async function bulkRuns(scope: HistoryScope, kind: BulkKind, runIds: string[]): Promise<BulkResult> {
  const viewer = await resolveViewer(scope);
  const ids = runIdsSchema.parse([...new Set(runIds)]);
  const rows = await run<{ id: string; slug: string }>(sql`
    select r.id, p.slug from job_runs r join projects p on p.id = r.project_id
    where r.id in (${params(ids)}) and p.deleted_at is null`);
  const readable = viewer.projects === "all" ? null : new Set(viewer.projects.map((p) => p.slug));
  const slugOf = new Map(rows.filter((r) => !readable || readable.has(r.slug)).map((r) => [r.id, r.slug]));
  const writable = new Map<string, boolean>();
  const results: BulkResult = [];
  for (const runId of ids) {
    const slug = slugOf.get(runId);
    if (!slug) {
      results.push({ runId, outcome: "not_found" });
      continue;
    }
    if (!writable.has(slug)) {
      writable.set(
        slug,
        await requireProjectPermission(slug, "jobs:write").then(
          () => true,
          () => false,
        ),
      );
    }
    if (!writable.get(slug)) {
      results.push({ runId, outcome: "forbidden" });
      continue;
    }
    results.push({ runId, ...(await applyOne(kind, slug, runId)) });
  }
  return results;
}

async function applyOne(kind: BulkKind, slug: string, runId: string): Promise<{ outcome: BulkOutcome; reason?: string }> {
  if (kind === "cancel") {
    const r = await cancelProjectRun(slug, runId);
    if (r.outcome === "cancelled" || r.outcome === "cancelling") return { outcome: r.outcome };
    if (r.outcome === "not_found") return { outcome: "not_found" };
    return { outcome: "skipped", reason: `already ${r.status ?? "finished"}` };
  }
  const r = await redriveProjectRun(slug, runId);
  if (r.ok) return { outcome: "retried" };
  if (r.code === "not_found") return { outcome: "not_found" };
  if (r.code === "already_active") return { outcome: "skipped", reason: r.existingRunId ? `${r.message} (run ${r.existingRunId.slice(0, 8)} holds it)` : r.message };
  return { outcome: "skipped", reason: "only failed or dead-lettered runs can be retried" };
}

export function summarizeBulk(results: BulkResult): Record<BulkOutcome, number> {
  const summary: Record<BulkOutcome, number> = { cancelled: 0, cancelling: 0, retried: 0, skipped: 0, forbidden: 0, not_found: 0 };
  for (const r of results) summary[r.outcome]++;
  return summary;
}
