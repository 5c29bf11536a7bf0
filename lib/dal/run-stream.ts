import "server-only";
import { projectAccessFor } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import type { TeamRole, InstanceRole } from "@/lib/db/schema";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { reportOpenRunStreams } from "@/lib/metrics/web";
import { AccessError } from "./access";
import { databaseReachable } from "./health";
import { answerRun, checkRunAccess, etagOf, notNewer, parseEtag, parseParts, readVersions, sinceOf, whoOf, type RunPoll, type RunViewer, type Version, type Who } from "./run-poll";
import { sessionClaims } from "./session-claims";
import { SESSION_TOUCH_SECONDS, touchSession } from "./sessions";

/**
 * The run page's server-sent events: the same answers as its poll (lib/dal/run-poll.ts), pushed.
 * One hub per web process ticks once a second while anyone watches. Per tick, whatever the number
 * of open pages: ONE statement re-checks every watcher's session and project access, ONE reads
 * every watched run's version. Only runs that changed are answered, once per run, view kind and
 * client version (the shared reads behind the poll), and the same bytes go to every watcher in
 * that group. A watcher whose access is gone gets `denied` and the stream ends; the page falls
 * back to the poll, which answers 401/403/404 as usual.
 *
 * Events: `run` (id: the ETag; data: the full view or a delta, as the poll's 200), `unavailable` /
 * `available` (Postgres away and back), `end` (the run ended: nothing more will come), `denied`.
 */

const TICK_MS = 1000;
/** A comment line now and then, so proxies and the browser keep an idle stream open. */
const KEEPALIVE_TICKS = 15;
/** Streams end after this and the browser reconnects (with Last-Event-ID): a full check again. */
const MAX_STREAM_MS = 10 * 60_000;
/**
 * A step not done by now is left behind (its answers are never sent; a query lost on a connection
 * that closed as Postgres came back never settles) and the next tick starts afresh; Postgres is
 * asked on a fresh connection whether it is away (else it was only slow).
 */
const TICK_DEADLINE_MS = 5_000;
/** Bounds: open streams per web process, per user and per session (beyond them: 503 / 429, the page polls). */
export const MAX_STREAMS = 5_000;
export const MAX_STREAMS_PER_USER = 48;
export const MAX_STREAMS_PER_SESSION = 24;
/** Bytes a watcher may leave unread before it is cut off (a reader that stopped reading): minutes of updates. */
export const MAX_UNREAD_BYTES = 128 * 1024;

type Watcher = {
  runId: string;
  viewer: RunViewer;
  sessionId: string;
  userId: string;
  since: Version | null;
  /** `since` as its ETag ("" for none), to compare and group without rebuilding it. */
  sinceTag: string;
  openedAt: number;
  /** Queue bytes for this watcher; false when it can take no more (closed or far behind). */
  write: (chunk: Uint8Array) => boolean;
  close: () => void;
  /** Gives back the stream's place under the bounds (taken when the stream was opened). */
  release: () => void;
};

type Hub = {
  byRun: Map<string, Set<Watcher>>;
  /** Watchers in byRun. */
  count: number;
  /** Places taken under the bounds: by streams being opened and by watchers. */
  slots: { total: number; bySession: Map<string, number>; byUser: Map<string, number> };
  timer: ReturnType<typeof setTimeout> | null;
  /** Between a tick's start and its end (its step done, or past its deadline). */
  ticking: boolean;
  /** The step under way (it may outlive its tick's deadline); only the newest generation sends. */
  step: { generation: number; startedAt: number } | null;
  generation: number;
  ticks: number;
  down: boolean;
  loggedError: boolean;
};

// One hub per process, kept across Next's dev reloads.
const globalForHub = globalThis as unknown as { runboardRunHub?: Hub };
function hub(): Hub {
  globalForHub.runboardRunHub ??= {
    byRun: new Map(),
    count: 0,
    slots: { total: 0, bySession: new Map(), byUser: new Map() },
    timer: null,
    ticking: false,
    step: null,
    generation: 0,
    ticks: 0,
    down: false,
    loggedError: false,
  };
  return globalForHub.runboardRunHub;
}

const bump = (map: Map<string, number>, key: string, by: number) => {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
};

/**
 * Take a place under the bounds at once (synchronously after the check, so requests racing in
 * cannot all pass it); the returned function gives it back, once.
 */
function reserve(sessionId: string, userId: string): (() => void) | StreamRefusal {
  const { slots } = hub();
  if (slots.total >= MAX_STREAMS) return { refused: "busy" };
  if ((slots.bySession.get(sessionId) ?? 0) >= MAX_STREAMS_PER_SESSION || (slots.byUser.get(userId) ?? 0) >= MAX_STREAMS_PER_USER) return { refused: "too_many_streams" };
  slots.total++;
  bump(slots.bySession, sessionId, 1);
  bump(slots.byUser, userId, 1);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    slots.total--;
    bump(slots.bySession, sessionId, -1);
    bump(slots.byUser, userId, -1);
  };
}

reportOpenRunStreams(() => hub().count);

const encoder = new TextEncoder();
const bytesOf = (event: string) => encoder.encode(`event: ${event}\ndata: {}\n\n`);
const EVENTS = { unavailable: bytesOf("unavailable"), available: bytesOf("available"), end: bytesOf("end"), denied: bytesOf("denied"), keepalive: encoder.encode(": keepalive\n\n") };

function runEvent(answer: Extract<RunPoll, { notModified: false }>): string {
  return `id: ${answer.etag}\nevent: run\ndata: ${JSON.stringify(answer.body)}\n\n`;
}

const isEnd = (answer: Extract<RunPoll, { notModified: false }>) => !("kind" in answer.body) && answer.body.terminal;

export type OpenedStream = {
  /** Events to send at once (the answer to the client's version); the stream ends after them when `done`. */
  first: string;
  done: boolean;
  /** Join the hub; returns the function that leaves it. */
  attach: (write: Watcher["write"], close: () => void) => () => void;
};

export type StreamRefusal = { refused: "too_many_streams" | "busy" };

/**
 * Open a run stream for the signed-in user: the same checks as the poll (one statement), then the
 * answer to `since` (the browser's Last-Event-ID, or the page's version). Null when the run is not
 * this project's. Only sessions stream: API keys poll (GET …/runs/:id with the key).
 */
export async function openRunStream(slug: string, runId: string, sinceToken: string | null): Promise<OpenedStream | StreamRefusal | null> {
  const claims = await sessionClaims();
  if (!claims) throw new AccessError("unauthenticated");
  const checked = await checkRunAccess(slug, runId);
  if (!checked) return null;
  const release = reserve(claims.sessionId, claims.userId);
  if (typeof release !== "function") return release;
  try {
    const opened = await firstAnswer(checked, runId, sinceToken);
    if (!opened || opened.done) {
      release();
      return opened && { first: opened.first, done: true, attach: () => () => undefined };
    }
    return {
      first: opened.first,
      done: false,
      attach: (write, close) => {
        const { since, viewer } = opened;
        const watcher: Watcher = { runId, viewer, sessionId: claims.sessionId, userId: claims.userId, since, sinceTag: since ? etagOf(since) : "", openedAt: Date.now(), write, close, release };
        add(watcher);
        return () => remove(watcher);
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** What a new stream sends at once, and the version its watcher then holds. */
async function firstAnswer(checked: NonNullable<Awaited<ReturnType<typeof checkRunAccess>>>, runId: string, sinceToken: string | null): Promise<{ first: string; done: boolean; since: Version | null; viewer: RunViewer } | null> {
  const { access, who, current } = checked;
  const viewer: RunViewer = { project: access.project, unredacted: access.unredacted, who };
  let since = sinceOf(sinceToken, runId, who);
  let first = "retry: 1000\n\n";
  let done = false;
  if (!since || etagOf(since) !== etagOf(current)) {
    const answer = await answerRun(viewer, current, since);
    if (!answer) return null;
    if (!answer.notModified) {
      first += runEvent(answer);
      since = parseEtag(answer.etag);
      done = isEnd(answer);
    }
  }
  if (!done && isTerminal(current.status) && since && etagOf(since) === etagOf(current)) done = true;
  if (done) first += "event: end\ndata: {}\n\n";
  return { first, done, since, viewer };
}

function add(w: Watcher): void {
  const h = hub();
  let set = h.byRun.get(w.runId);
  if (!set) h.byRun.set(w.runId, (set = new Set()));
  set.add(w);
  h.count++;
  if (h.down) w.write(EVENTS.unavailable);
  // A tick under way schedules the next one itself.
  if (!h.ticking) h.timer ??= setTimeout(() => void tick(), TICK_MS);
}

function remove(w: Watcher): void {
  const h = hub();
  const set = h.byRun.get(w.runId);
  if (!set?.delete(w)) return;
  if (set.size === 0) h.byRun.delete(w.runId);
  h.count--;
  w.release();
  // Idle: no tick will clear an outage flag now, so the next watcher must not inherit it.
  if (h.count === 0) h.down = false;
}

/** End a watcher's stream, optionally with a last event. */
function drop(w: Watcher, event?: "end" | "denied"): void {
  remove(w);
  if (event) w.write(EVENTS[event]);
  w.close();
}

type AccessRow = { i: number; instance_role: InstanceRole; role: TeamRole | null; grants: string[] | null; stale: boolean };

/**
 * Every watcher's session and project access, re-read in one statement: the session live and not
 * revoked, the user enabled, the project not deleted, and the membership as it is now.
 */
const ACCESS_SQL = `select x.i::int as i, u.instance_role, m.role, m.grants,
    s.last_seen_at < now() - make_interval(secs => ${SESSION_TOUCH_SECONDS}) as stale
  from unnest($1::uuid[], $2::uuid[], $3::uuid[]) with ordinality as x(sid, uid, pid, i)
  join user_sessions s on s.id = x.sid and s.user_id = x.uid and s.revoked_at is null and s.expires_at > now()
  join users u on u.id = x.uid and u.disabled_at is null
  join projects p on p.id = x.pid and p.deleted_at is null
  left join team_members m on m.team_id = p.team_id and m.user_id = x.uid`;

async function readAccess(keys: { sessionId: string; userId: string; projectId: string }[]): Promise<Map<number, AccessRow>> {
  const rows = await getDatabase().sql.unsafe<AccessRow[]>(
    ACCESS_SQL,
    [keys.map((k) => k.sessionId), keys.map((k) => k.userId), keys.map((k) => k.projectId)],
    { prepare: true },
  );
  return new Map(rows.map((row) => [row.i, row]));
}

/** Settles with the work, or with "late" once the deadline passes (the work goes on). */
function withDeadline<T>(work: Promise<T>): Promise<T | "late"> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("late"), TICK_DEADLINE_MS);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

function broadcast(chunk: Uint8Array): void {
  for (const set of hub().byRun.values()) for (const w of set) if (!w.write(chunk)) drop(w);
}

function setDown(down: boolean): void {
  const h = hub();
  if (h.down === down) return;
  h.down = down;
  broadcast(down ? EVENTS.unavailable : EVENTS.available);
}

/**
 * One tick: at most one step at a time. A step still running when the next tick is due is waited
 * for (that tick is skipped) until its deadline; then it is left behind and a newer generation's
 * step takes over (the old one's answers are never sent, so a page never goes back in time).
 */
async function tick(): Promise<void> {
  const h = hub();
  h.timer = null;
  if (h.count === 0) return;
  const started = Date.now();
  h.ticking = true;
  try {
    if (h.step) return;
    h.ticks++;
    const generation = ++h.generation;
    h.step = { generation, startedAt: started };
    const work = step(started, generation).finally(() => {
      if (h.step?.generation === generation) h.step = null;
    });
    const outcome = await withDeadline(work);
    if (outcome === "late") {
      if (h.step?.generation === generation) h.step = null;
      setDown(!(await databaseReachable().catch(() => false)));
      return;
    }
    if (h.ticks % KEEPALIVE_TICKS === 0) broadcast(EVENTS.keepalive);
    setDown(false);
    h.loggedError = false;
  } catch (error) {
    if (isDatabaseUnavailable(error)) setDown(true);
    else if (!h.loggedError) {
      h.loggedError = true;
      console.error("[run-stream] tick failed (logged once until a tick works again)", error);
    }
  } finally {
    h.ticking = false;
    if (h.count > 0) h.timer ??= setTimeout(() => void tick(), Math.max(0, TICK_MS - (Date.now() - started)));
  }
}

async function step(now: number, generation: number): Promise<void> {
  const h = hub();
  const watchers = [...h.byRun.values()].flatMap((set) => [...set]);
  for (const w of watchers) if (now - w.openedAt > MAX_STREAM_MS) drop(w);

  // One access row per (session, user, project); one version per run.
  const keyOf = (w: Watcher) => `${w.sessionId}|${w.userId}|${w.viewer.project.id}`;
  const keys = new Map<string, { sessionId: string; userId: string; projectId: string; i: number }>();
  for (const w of watchers) if (!keys.has(keyOf(w))) keys.set(keyOf(w), { sessionId: w.sessionId, userId: w.userId, projectId: w.viewer.project.id, i: keys.size + 1 });
  const runIds = [...h.byRun.keys()];
  if (runIds.length === 0) return;
  const [access, versions] = await Promise.all([readAccess([...keys.values()]), readVersions(runIds)]);
  // Left behind while it waited: its reads are stale, a newer step decides.
  if (generation !== h.generation) return;

  // The verdict per access row, not per watcher: many pages of one session share it.
  const verdicts = new Map<number, { who: Who; stale: boolean } | null>();
  for (const [i, row] of access) {
    const held = projectAccessFor(row.role ? { role: row.role, grants: row.grants ?? [] } : null, row.instance_role);
    verdicts.set(i, held?.permissions.has("jobs:read") ? { who: whoOf(held), stale: row.stale } : null);
  }
  const stale = new Set<string>();
  for (const w of watchers) {
    if (!h.byRun.get(w.runId)?.has(w)) continue;
    const verdict = verdicts.get(keys.get(keyOf(w))!.i);
    if (!verdict) {
      drop(w, "denied");
      continue;
    }
    // Another view kind now (a role changed): end the stream, the browser reconnects to the right one.
    if (verdict.who !== w.viewer.who) drop(w);
    else if (verdict.stale) stale.add(w.sessionId);
  }
  // Sessions are touched as a poll touches them: a watched page keeps its session alive.
  await Promise.all([...stale].map((sessionId) => touchSession(sessionId)));

  // Watchers of one run, view kind and version share one answer, and the same encoded bytes.
  const groups = new Map<string, { viewer: RunViewer; current: Version; since: Version | null; sinceTag: string; watchers: Watcher[] }>();
  for (const [runId, set] of h.byRun) {
    const text = versions.get(runId);
    const currents = new Map<Who, { version: Version; tag: string } | null>();
    for (const w of [...set]) {
      if (!text) {
        drop(w, "denied");
        continue;
      }
      let current = currents.get(w.viewer.who);
      if (current === undefined) {
        const version = parseParts(runId, w.viewer.who, text);
        currents.set(w.viewer.who, (current = version ? { version, tag: etagOf(version) } : null));
      }
      if (!current || w.sinceTag === current.tag || (w.since && notNewer(current.version, w.since))) continue;
      const key = `${runId}|${w.viewer.unredacted ? 1 : 0}|${w.viewer.who}|${w.sinceTag}`;
      const group = groups.get(key);
      if (group) group.watchers.push(w);
      else groups.set(key, { viewer: w.viewer, current: current.version, since: w.since, sinceTag: w.sinceTag, watchers: [w] });
    }
  }
  await Promise.all(
    [...groups.values()].map((group) => answerRun(group.viewer, group.current, group.since, { fresh: true }).then((answer) => deliver(group.watchers, group.sinceTag, answer, generation))),
  );
}

/**
 * One answer to every watcher of its group: encoded once, written to each. Not from a step left
 * behind, and not to a watcher that moved on since (it would go back in time); a run no longer
 * there (deleted with its project) is `denied`: the page's poll then says not found.
 */
function deliver(watchers: Watcher[], sinceTag: string, answer: RunPoll | null, generation: number): void {
  if (answer?.notModified || generation !== hub().generation) return;
  const chunk = answer ? encoder.encode(runEvent(answer)) : null;
  const since = answer ? parseEtag(answer.etag) : null;
  const end = answer ? isEnd(answer) : false;
  for (const w of watchers) {
    if (!hub().byRun.get(w.runId)?.has(w) || w.sinceTag !== sinceTag) continue;
    if (!answer || !chunk) {
      drop(w, "denied");
      continue;
    }
    w.since = since;
    w.sinceTag = answer.etag;
    if (!w.write(chunk)) drop(w);
    else if (end) drop(w, "end");
  }
}
