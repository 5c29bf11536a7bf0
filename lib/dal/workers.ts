import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { canInstance } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import type { WorkerCommand, WorkerReportedState } from "@/lib/db/schema";
import { getJobDefinition, projectJobDefinitions } from "@/lib/jobs/catalog";
import { commandLatencySeconds, jobTypesWithoutWorker, noWorkerWarning, SILENT_SQL, workerState, type WorkerState } from "@/lib/jobs/worker-registry";
import { requireProjectPermission } from "./access";
import { requireInstancePermission } from "./instance";

export const WORKERS_PAGE_SIZE = 50;
/** Runs listed per worker; the count says how many it holds in all. */
export const HELD_RUNS_SHOWN = 10;
/** Workers last seen longer ago than this are history, not the fleet. */
const SHOWN_FOR_HOURS = 24;

export type HeldRun = { id: string; jobType: string; label: string; projectSlug: string | null; attempt: number; startedAt: string | null };

export type WorkerRow = {
  id: string;
  name: string;
  host: string;
  pid: number;
  version: string;
  jobTypes: { name: string; label: string }[];
  concurrency: number;
  startedAt: string;
  lastSeenAt: string;
  /** On the database's clock, as the state is judged (a browser's clock may be off). */
  lastSeenSecondsAgo: number;
  state: WorkerState;
  /** A command the worker has not acted on yet (it reads it at its next ping). */
  pending: WorkerCommand | null;
  /** How long it may take to act on a command: its ping interval. */
  actsWithinSeconds: number;
  heldRuns: HeldRun[];
  heldCount: number;
};

export type WorkersPage = { rows: WorkerRow[]; nextCursor: string | null; canAct: boolean; shownForHours: number };

const label = (name: string) => getJobDefinition(name)?.label ?? name;

/** `<started_at to the microsecond>|<id>`: the page's keyset. */
function parseCursor(cursor: string | undefined): { startedAt: string; id: string } | null {
  if (!cursor) return null;
  const bar = cursor.indexOf("|");
  const startedAt = cursor.slice(0, bar);
  const id = cursor.slice(bar + 1);
  if (bar < 0 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(startedAt) || id.length === 0 || id.length > 300) return null;
  return { startedAt, id };
}

type Row = {
  id: string;
  name: string;
  host: string;
  pid: number;
  version: string;
  job_types: string[];
  concurrency: number;
  heartbeat_seconds: number;
  started_at: string;
  last_seen_at: string;
  seen_ago: number;
  stopped: boolean;
  silent: boolean;
  state: WorkerReportedState;
  command: WorkerCommand | null;
  cursor: string;
  held_count: number;
  held: { id: string; job_type: string; slug: string | null; attempt: number; started_at: string | null }[];
};

/**
 * The instance's workers seen in the last day, newest first (keyset on started_at, id), each with
 * the runs it holds now (up to HELD_RUNS_SHOWN, and how many in all) in the same query. For
 * workers:read (the instance owner and support); acting needs workers:manage (the owner).
 */
export async function listWorkers(options: { cursor?: string } = {}): Promise<WorkersPage> {
  const user = await requireInstancePermission("workers:read");
  const after = parseCursor(options.cursor);
  const client = getDatabase().sql;
  const rows = await client<Row[]>`
    select w.id, w.name, w.host, w.pid, w.version, w.job_types, w.concurrency, w.heartbeat_seconds, w.started_at, w.last_seen_at,
      greatest(0, extract(epoch from now() - w.last_seen_at))::float8 as seen_ago, w.stopped_at is not null as stopped, ${client.unsafe(SILENT_SQL)} as silent, w.state, w.command,
      to_char(w.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' || w.id as cursor,
      held.count::int as held_count, coalesce(held.runs, '[]'::json) as held
    from workers w
    cross join lateral (
      select count(*) as count,
        json_agg(json_build_object('id', r.id, 'job_type', r.job_type, 'slug', r.slug, 'attempt', r.attempt_count, 'started_at', r.attempt_started_at)
          order by r.attempt_started_at) filter (where r.n <= ${HELD_RUNS_SHOWN}) as runs
      from (
        select r.id, r.job_type, p.slug, r.attempt_count, r.attempt_started_at, row_number() over (order by r.attempt_started_at) as n
        from job_runs r left join projects p on p.id = r.project_id
        where r.status = 'running' and r.worker_id = w.id
      ) r
    ) held
    where w.last_seen_at > now() - make_interval(hours => ${SHOWN_FOR_HOURS})
      ${after ? client`and (w.started_at, w.id) < (${after.startedAt}::timestamptz, ${after.id})` : client``}
    order by w.started_at desc, w.id desc
    limit ${WORKERS_PAGE_SIZE + 1}`;
  const page = rows.slice(0, WORKERS_PAGE_SIZE);
  return {
    rows: page.map((r) => {
      const state = workerState(r);
      const answering = state === "live" || state === "quiet" || state === "stopping";
      return {
        id: r.id,
        name: r.name,
        host: r.host,
        pid: r.pid,
        version: r.version,
        jobTypes: r.job_types.map((name) => ({ name, label: label(name) })),
        concurrency: r.concurrency,
        startedAt: new Date(r.started_at).toISOString(),
        lastSeenAt: new Date(r.last_seen_at).toISOString(),
        lastSeenSecondsAgo: Math.floor(r.seen_ago),
        state,
        pending: answering && r.command !== null && !commandDone(r.command, r.state) ? r.command : null,
        actsWithinSeconds: commandLatencySeconds(r.heartbeat_seconds),
        heldRuns: r.held.map((h) => ({ id: h.id, jobType: h.job_type, label: label(h.job_type), projectSlug: h.slug, attempt: h.attempt, startedAt: h.started_at ? new Date(h.started_at).toISOString() : null })),
        heldCount: r.held_count,
      };
    }),
    nextCursor: rows.length > WORKERS_PAGE_SIZE ? (page.at(-1)?.cursor ?? null) : null,
    canAct: canInstance(user.instanceRole, "workers:manage"),
    shownForHours: SHOWN_FOR_HOURS,
  };
}

function commandDone(command: WorkerCommand, state: WorkerReportedState): boolean {
  return command === "quiet" ? state === "quiet" : state === "stopping";
}

export type WorkerAction = "quiet" | "resume" | "stop";
export type WorkerActionOutcome = { ok: true; name: string; actsWithinSeconds: number } | { ok: false; code: "not_found" | "gone" | "unchanged"; message: string };

const AUDIT = { quiet: "worker.quieted", resume: "worker.resumed", stop: "worker.stop_requested" } as const;

/**
 * Ask a worker to go quiet (take no new runs, finish what it holds), serve again, or stop
 * gracefully: written on its row, which it reads at its next ping. workers:manage only; audited
 * in the same transaction. A worker that no longer answers cannot be told anything.
 */
export async function commandWorker(workerId: string, action: WorkerAction): Promise<WorkerActionOutcome> {
  const user = await requireInstancePermission("workers:manage");
  if (!z.string().min(1).max(300).safeParse(workerId).success) return { ok: false, code: "not_found", message: "That worker is not registered." };
  const command: WorkerCommand | null = action === "resume" ? null : action;
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx.execute<{ id: string; name: string; host: string; heartbeat_seconds: number; stopped_at: string | null; lost: boolean; command: WorkerCommand | null }>(sql`
      select w.id, w.name, w.host, w.heartbeat_seconds, w.stopped_at, w.command, ${sql.raw(SILENT_SQL)} as lost
      from workers w where w.id = ${workerId} for update`);
    if (!row) return { ok: false, code: "not_found", message: "That worker is not registered." };
    if (row.stopped_at || row.lost) return { ok: false, code: "gone", message: `${row.name} no longer answers: there is nothing to tell it. Its runs are recovered by the other workers.` };
    if (row.command === "stop") return { ok: false, code: "unchanged", message: `${row.name} is already stopping.` };
    if (row.command === command) return { ok: false, code: "unchanged", message: action === "quiet" ? `${row.name} is already quiet.` : `${row.name} is already taking runs.` };
    await tx.execute(sql`update workers set command = ${command}, command_at = now() where id = ${workerId}`);
    await recordAudit(tx, { action: AUDIT[action], actor: { userId: user.id, apiKeyId: null }, teamId: null, details: { workerId: row.id, name: row.name, host: row.host } });
    return { ok: true, name: row.name, actsWithinSeconds: commandLatencySeconds(row.heartbeat_seconds) };
  });
}

/**
 * The project's job types that no live worker serves now, with the warning a trigger of each gets
 * (the jobs page shows it on the job type). Readers of the project's jobs may know this.
 */
export async function unservedJobTypes(slug: string): Promise<Map<string, string>> {
  await requireProjectPermission(slug, "jobs:read");
  const names = projectJobDefinitions().map((d) => d.name);
  const unserved = await jobTypesWithoutWorker(getDatabase().db, names);
  return new Map([...unserved].map((name) => [name, noWorkerWarning(label(name))]));
}
