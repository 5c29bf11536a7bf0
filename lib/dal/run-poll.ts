import "server-only";
import { and, desc, eq, sql, type SQLWrapper } from "drizzle-orm";
import { z } from "zod";
import { getDatabase } from "@/lib/db/client";
import { jobRunCalls, jobRuns, jobRunSteps, RUN_STATUSES, type RunStatus } from "@/lib/db/schema";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { instanceLost } from "@/lib/jobs/liveness";
import { requireProjectPermission, requireProjectPermissionWith, type ProjectAccess } from "./access";
import { buildRunView, callView, etaOf, loadJobLabels, stepView, textFor, typicalDurationSeconds, workerInstance, type CallView, type RunVersionParts, type RunView, type StepView } from "./runs";
import { sharedRead, sharedReads } from "./shared-read";

/**
 * The run page's poll (about once a second per open page). Per request: the session, then ONE
 * statement that checks the project access and reads the run's version. Unchanged: 304. Changed
 * within the same attempt: a delta (status, progress, heartbeat, steps and calls after the
 * client's version) cut from a small snapshot of the run that every watcher of it shares. When the
 * structure changed (status, attempt, cancel request, or more new rows than the snapshot holds):
 * the full view, shared too. Shared reads are keyed by run and view kind (redacted or not), after
 * the caller's own permission check, so no one is served a view their role may not see.
 */

/** One read per run and view kind per poll interval, however many pages watch it. */
const SHARE_MS = 1000;
/** The snapshot's newest rows: a client further behind than this gets the full view. */
const LIVE_STEPS = 50;
const LIVE_CALLS = 25;
/** The typical duration moves slowly (completed runs of the type): shared for longer. */
const TYPICAL_SHARE_MS = 30_000;

export type RunDelta = Pick<
  RunView,
  "status" | "attempts" | "progress" | "stage" | "etaSeconds" | "etaBasis" | "durationMs" | "lastHeartbeat" | "heartbeatAgeSeconds" | "workerAnswering" | "updatedAt" | "builtAt"
> & {
  kind: "delta";
  /** Steps and calls written after the client's version, oldest first; merged by id. */
  steps: StepView[];
  calls: CallView[];
};

export type RunPoll = { etag: string; notModified: true } | { etag: string; notModified: false; body: RunView | RunDelta };

export type Who = "s" | "w" | "r";
export type Version = RunVersionParts & { runId: string; who: Who };

export function whoOf(access: Pick<ProjectAccess, "unredacted" | "permissions">): Who {
  return access.unredacted ? "s" : access.permissions.has("jobs:write") ? "w" : "r";
}

/** The ETag: the run, the viewer's kind, and the version parts (epoch ms), so it says what the client holds. */
export function etagOf(v: Version): string {
  return `"r1.${v.runId}.${v.who}.${v.updatedMs}.${v.heartbeatMs}.${v.status}.${v.attempt}.${v.cancel ? 1 : 0}.${v.stepsMs}.${v.callsMs}"`;
}

const MS = /^\d{1,15}$/;
const tokenSchema = z.tuple([
  z.literal("r1"),
  z.uuid(),
  z.enum(["s", "w", "r"]),
  z.string().regex(MS),
  z.string().regex(MS),
  z.enum(RUN_STATUSES),
  z.string().regex(/^\d{1,6}$/),
  z.enum(["0", "1"]),
  z.string().regex(MS),
  z.string().regex(MS),
]);

/** A client's If-None-Match read back; null for anything else (garbage, huge, another format). */
export function parseEtag(header: string | null): Version | null {
  if (!header || header.length > 200) return null;
  const m = /^(?:W\/)?"([^"]*)"$/.exec(header.trim());
  if (!m) return null;
  const parsed = tokenSchema.safeParse((m[1] ?? "").split("."));
  if (!parsed.success) return null;
  const [, runId, who, updated, heartbeat, status, attempt, cancel, steps, calls] = parsed.data;
  return { runId, who, updatedMs: Number(updated), heartbeatMs: Number(heartbeat), status, attempt: Number(attempt), cancel: cancel === "1", stepsMs: Number(steps), callsMs: Number(calls) };
}

const epochText = (column: string) => `coalesce(floor(extract(epoch from ${column}) * 1000)::bigint, 0)`;
const epochMs = (column: string) => sql.raw(epochText(column));

/** versionQuery as text for the poll's one prepared statement: the run id is $4, the project its `p`. */
const VERSION_SQL = `(
    select concat_ws('.', ${epochText("r.updated_at")}, ${epochText("r.last_heartbeat")}, r.status, r.attempt_count, (r.cancel_requested_at is not null)::int,
      (select ${epochText("max(st.created_at)")} from job_run_steps st where st.run_id = r.id),
      (select ${epochText("max(c.created_at)")} from job_run_calls c where c.run_id = r.id))
    from job_runs r where r.id = $4::uuid and r.project_id = p.id)`;

/** Every watched run's version parts in one statement (the run stream's tick), by run id. */
const VERSIONS_SQL = `select r.id::text as id, concat_ws('.', ${epochText("r.updated_at")}, ${epochText("r.last_heartbeat")}, r.status, r.attempt_count, (r.cancel_requested_at is not null)::int,
      (select ${epochText("max(st.created_at)")} from job_run_steps st where st.run_id = r.id),
      (select ${epochText("max(c.created_at)")} from job_run_calls c where c.run_id = r.id)) as v
    from job_runs r where r.id = any($1::uuid[])`;

export async function readVersions(runIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await getDatabase().sql.unsafe<{ id: string; v: string }[]>(VERSIONS_SQL, [runIds as string[]], { prepare: true });
  return new Map(rows.map((row) => [row.id, row.v]));
}

/** The version parts in one row, as text (the statement's scalar subquery); null when not the project's run. */
function versionQuery(runId: string) {
  return (projectId: SQLWrapper) => sql<string | null>`(
    select concat_ws('.', ${epochMs("r.updated_at")}, ${epochMs("r.last_heartbeat")}, r.status, r.attempt_count, (r.cancel_requested_at is not null)::int,
      (select ${epochMs("max(s.created_at)")} from job_run_steps s where s.run_id = r.id),
      (select ${epochMs("max(c.created_at)")} from job_run_calls c where c.run_id = r.id))
    from job_runs r where r.id = ${runId}::uuid and r.project_id = ${projectId})`;
}

async function readVersion(runId: string, projectId: string): Promise<string | null> {
  const [row] = await getDatabase().db.execute<{ v: string | null }>(sql`select ${versionQuery(runId)(sql`${projectId}::uuid`)} as v`);
  return row?.v ?? null;
}

export function parseParts(runId: string, who: Who, text: string): Version | null {
  return parseEtag(`"r1.${runId}.${who}.${text}"`);
}

/** Nothing newer than what the client holds (a shared read from before the client's last answer). */
export function notNewer(v: RunVersionParts, client: RunVersionParts): boolean {
  // updated_at, steps and calls only grow; a heartbeat only within one updated_at (a re-drive clears it).
  const older = v.updatedMs < client.updatedMs || v.stepsMs < client.stepsMs || v.callsMs < client.callsMs || (v.updatedMs === client.updatedMs && v.heartbeatMs < client.heartbeatMs);
  const same = v.updatedMs === client.updatedMs && v.heartbeatMs === client.heartbeatMs && v.stepsMs === client.stepsMs && v.callsMs === client.callsMs;
  return older || (same && sameStructure(v, client));
}

function sameStructure(a: RunVersionParts, b: RunVersionParts): boolean {
  return a.status === b.status && a.attempt === b.attempt && a.cancel === b.cancel;
}

type LiveRun = {
  version: RunVersionParts;
  run: {
    status: RunStatus;
    attempts: number;
    progressProcessed: number | null;
    progressTotal: number | null;
    progressMessage: string | null;
    progressPercent: number | null;
    stage: string | null;
    startedAt: Date | null;
    lastHeartbeat: Date | null;
    updatedAt: Date;
  };
  typical: number | null;
  worker: Parameters<typeof instanceLost>[0] | null;
  /** Newest rows, oldest first, each with its epoch ms; `full` when the snapshot holds fewer than its cap. */
  steps: { ms: number; view: StepView }[];
  stepsAll: boolean;
  calls: { ms: number; view: CallView }[];
  callsAll: boolean;
};

/**
 * The snapshot behind deltas: the run's moving parts and its newest steps and calls; with `after`
 * (the run stream's tick, which knows its watchers' version), only the rows written since it, so
 * a tick re-reads and redacts the one or two new rows rather than the newest 75.
 */
async function readLiveRun(runId: string, projectId: string, unredacted: boolean, after?: RunVersionParts): Promise<LiveRun | null> {
  const { db } = getDatabase();
  // From the start of `after`'s millisecond: rowsAfter keeps only the rows after it.
  const since = (column: typeof jobRunSteps.createdAt | typeof jobRunCalls.createdAt, ms: number) => (after ? sql`${column} >= to_timestamp(${ms / 1000})` : undefined);
  const [[r], stepRows, callRows] = await Promise.all([
    db
      .select({
        status: jobRuns.status,
        attempts: jobRuns.attemptCount,
        cancelRequestedAt: jobRuns.cancelRequestedAt,
        jobType: jobRuns.jobType,
        workerId: jobRuns.workerId,
        progressProcessed: jobRuns.progressProcessed,
        progressTotal: jobRuns.progressTotal,
        progressMessage: jobRuns.progressMessage,
        progressPercent: jobRuns.progressPercent,
        stage: jobRuns.currentStage,
        startedAt: jobRuns.startedAt,
        lastHeartbeat: jobRuns.lastHeartbeat,
        updatedAt: jobRuns.updatedAt,
      })
      .from(jobRuns)
      .where(eq(jobRuns.id, runId)),
    db
      .select()
      .from(jobRunSteps)
      .where(and(eq(jobRunSteps.runId, runId), since(jobRunSteps.createdAt, after?.stepsMs ?? 0)))
      .orderBy(desc(jobRunSteps.createdAt), desc(jobRunSteps.id))
      .limit(LIVE_STEPS),
    db
      .select()
      .from(jobRunCalls)
      .where(and(eq(jobRunCalls.runId, runId), since(jobRunCalls.createdAt, after?.callsMs ?? 0)))
      .orderBy(desc(jobRunCalls.createdAt), desc(jobRunCalls.attempt), desc(jobRunCalls.retry))
      .limit(LIVE_CALLS),
  ]);
  if (!r) return null;
  const workerId = r.workerId;
  const [typical, worker] = await Promise.all([
    !isTerminal(r.status) && !r.progressTotal ? sharedRead(`typical:${projectId}:${r.jobType}`, TYPICAL_SHARE_MS, () => typicalDurationSeconds(projectId, r.jobType)) : null,
    r.status === "running" && workerId ? sharedRead(`worker:${workerId}`, SHARE_MS, () => workerInstance(workerId)) : null,
  ]);
  const progressMessage = r.progressMessage === null ? null : textFor(unredacted)(r.progressMessage);
  return {
    version: {
      updatedMs: r.updatedAt.getTime(),
      heartbeatMs: r.lastHeartbeat?.getTime() ?? 0,
      status: r.status,
      attempt: r.attempts,
      cancel: r.cancelRequestedAt !== null,
      // Read after `after`: no newer row means the newest is still the one `after` names.
      stepsMs: stepRows[0]?.createdAt.getTime() ?? after?.stepsMs ?? 0,
      callsMs: callRows[0]?.createdAt.getTime() ?? after?.callsMs ?? 0,
    },
    run: { ...r, progressMessage },
    typical,
    worker,
    steps: stepRows.reverse().map((s) => ({ ms: s.createdAt.getTime(), view: stepView(s, unredacted) })),
    stepsAll: stepRows.length < LIVE_STEPS,
    calls: callRows.reverse().map((c) => ({ ms: c.createdAt.getTime(), view: callView(c, unredacted) })),
    callsAll: callRows.length < LIVE_CALLS,
  };
}

/** Rows after the client's newest, or null when the snapshot cannot tell (the client is further behind). */
function rowsAfter<T>(rows: { ms: number; view: T }[], all: boolean, sinceMs: number): T[] | null {
  if (!all && rows.length > 0 && rows[0]!.ms > sinceMs) return null;
  return rows.filter((row) => row.ms > sinceMs).map((row) => row.view);
}

function deltaOf(live: LiveRun, since: Version, now: number): RunDelta | null {
  const steps = rowsAfter(live.steps, live.stepsAll, since.stepsMs);
  const calls = rowsAfter(live.calls, live.callsAll, since.callsMs);
  if (!steps || !calls) return null;
  const r = live.run;
  return {
    kind: "delta",
    status: r.status,
    attempts: r.attempts,
    progress: { processed: r.progressProcessed, total: r.progressTotal, message: r.progressMessage, percent: r.progressPercent },
    stage: r.stage,
    ...etaOf(r, live.typical, now),
    durationMs: r.startedAt ? now - r.startedAt.getTime() : null,
    lastHeartbeat: r.lastHeartbeat?.toISOString() ?? null,
    heartbeatAgeSeconds: r.lastHeartbeat ? Math.max(0, Math.round((now - r.lastHeartbeat.getTime()) / 1000)) : null,
    workerAnswering: live.worker ? !instanceLost(live.worker, now) : null,
    updatedAt: r.updatedAt.toISOString(),
    builtAt: new Date(now).toISOString(),
    steps,
    calls,
  };
}

/** A shared full view as of now: the clocks it shows moved on since it was built. */
function withClock(view: RunView, now: number): RunView {
  const age = Math.max(0, Math.round((now - Date.parse(view.builtAt)) / 1000));
  if (age === 0 || view.terminal) return view;
  return {
    ...view,
    durationMs: view.durationMs === null || view.status !== "running" ? view.durationMs : view.durationMs + age * 1000,
    heartbeatAgeSeconds: view.heartbeatAgeSeconds === null ? null : view.heartbeatAgeSeconds + age,
    etaSeconds: view.etaSeconds === null || view.etaBasis !== "history" ? view.etaSeconds : Math.max(0, view.etaSeconds - age),
    builtAt: new Date(now).toISOString(),
  };
}

/**
 * Answer one poll: 304, a delta, or the full view; null when the run is not this project's.
 * Throws AccessError like every DAL read (signed out, no access, missing permission).
 */
export async function pollRun(slug: string, runId: string, ifNoneMatch: string | null): Promise<RunPoll | null> {
  const checked = await checkRunAccess(slug, runId);
  if (!checked) return null;
  const { access, who, current } = checked;
  const etag = etagOf(current);
  if (ifNoneMatch === etag) return { etag, notModified: true };
  return answerRun({ project: access.project, unredacted: access.unredacted, who }, current, sinceOf(ifNoneMatch, runId, who));
}

/** The caller's access to a run and the run's version now, in one statement after the session; null when not the project's run. */
export async function checkRunAccess(slug: string, runId: string): Promise<{ access: ProjectAccess; who: Who; current: Version } | null> {
  if (!z.uuid().safeParse(runId).success) {
    await requireProjectPermission(slug, "jobs:read");
    return null;
  }
  const { access, extra } = await requireProjectPermissionWith(slug, "jobs:read", { sql: VERSION_SQL, params: [runId] }, (projectId) => readVersion(runId, projectId));
  if (!extra) return null;
  const who = whoOf(access);
  const current = parseParts(runId, who, extra);
  return current ? { access, who, current } : null;
}

/** The client's version (an ETag or an event id) counts only if it is for this run and this kind of viewer. */
export function sinceOf(token: string | null, runId: string, who: Who): Version | null {
  const parsed = parseEtag(token);
  return parsed && parsed.runId === runId && parsed.who === who ? parsed : null;
}

/** Who reads a run, as far as its view goes: the project, the view kind, and the ETag's viewer letter. */
export type RunViewer = { project: ProjectAccess["project"]; unredacted: boolean; who: Who };

/**
 * A shared read; with `current` (the run stream's tick, once per run and second), read again when
 * it holds less than that version (it was loaded just before the change). Polls take what is
 * shared: hundreds of them re-reading on every change would undo the sharing.
 */
async function shared<T extends { version: RunVersionParts } | null>(key: string, current: RunVersionParts | false, load: () => Promise<T>): Promise<T> {
  const held = await sharedRead(key, SHARE_MS, load);
  if (!held || !current || !behind(held.version, current)) return held;
  sharedReads.forget(key);
  return sharedRead(key, SHARE_MS, load);
}

/** Whether `v` misses something `current` has (every part only grows within a run). */
function behind(v: RunVersionParts, current: RunVersionParts): boolean {
  return v.updatedMs < current.updatedMs || v.heartbeatMs < current.heartbeatMs || v.stepsMs < current.stepsMs || v.callsMs < current.callsMs;
}

/**
 * What a viewer holding `since` (null: nothing) needs for the run at `current`: 304, a delta, or
 * the full view. Reads are shared per run and view kind, so call it only after the viewer's own
 * permission check. Also the run stream's answer (lib/dal/run-stream.ts), which asks for `fresh`.
 */
export async function answerRun(viewer: RunViewer, current: Version, since: Version | null, { fresh = false }: { fresh?: boolean } = {}): Promise<RunPoll | null> {
  const { runId } = current;
  const { who } = viewer;
  const kind = viewer.unredacted ? "unredacted" : "redacted";
  const now = Date.now();
  if (since && sameStructure(since, current) && !isTerminal(current.status)) {
    // The stream's tick: the rows since this group's version, read once per tick (its key names the version).
    const live = fresh
      ? await sharedRead(`run-since:${runId}:${kind}:${etagOf(since)}:${etagOf(current)}`, SHARE_MS, () => readLiveRun(runId, viewer.project.id, viewer.unredacted, since))
      : await sharedRead(`run-live:${runId}:${kind}`, SHARE_MS, () => readLiveRun(runId, viewer.project.id, viewer.unredacted));
    if (live && notNewer(live.version, since)) return { etag: etagOf(since), notModified: true };
    const delta = live && sameStructure(live.version, since) && !isTerminal(live.version.status) ? deltaOf(live, since, now) : null;
    if (live && delta) return { etag: etagOf({ ...live.version, runId, who }), notModified: false, body: delta };
  }
  await loadJobLabels();
  const full = await shared(`run-view:${runId}:${kind}`, fresh && current, () => buildRunView(viewer.project, viewer.unredacted, runId));
  if (!full) return null;
  if (since && notNewer(full.version, since)) return { etag: etagOf(since), notModified: true };
  return { etag: etagOf({ ...full.version, runId, who }), notModified: false, body: withClock(full.view, now) };
}
