import "server-only";
import { projectAccessFor } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import type { TeamRole, InstanceRole } from "@/lib/db/schema";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { reportOpenRunStreams } from "@/lib/metrics/web";
import { AccessError } from "./access";
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
/** A tick whose statements have not answered by now counts as Postgres being away. */
const TICK_DEADLINE_MS = 5_000;
/** Bounds: open streams per web process and per session (beyond them: 503 / 429, the page polls). */
export const MAX_STREAMS = 5_000;
export const MAX_STREAMS_PER_SESSION = 24;
/** Bytes a watcher may leave unread before it is cut off (a reader that stopped reading). */
export const MAX_UNREAD_BYTES = 1 << 20;

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
};

type Hub = {
  byRun: Map<string, Set<Watcher>>;
  bySession: Map<string, number>;
  count: number;
  timer: ReturnType<typeof setTimeout> | null;
  ticks: number;
  down: boolean;
  loggedError: boolean;
};

// One hub per process, kept across Next's dev reloads.
const globalForHub = globalThis as unknown as { runboardRunHub?: Hub };
function hub(): Hub {
  globalForHub.runboardRunHub ??= { byRun: new Map(), bySession: new Map(), count: 0, timer: null, ticks: 0, down: false, loggedError: false };
  return globalForHub.runboardRunHub;
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
  const h = hub();
  if (h.count >= MAX_STREAMS) return { refused: "busy" };
  if ((h.bySession.get(claims.sessionId) ?? 0) >= MAX_STREAMS_PER_SESSION) return { refused: "too_many_streams" };
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
  return {
    first,
    done,
    attach: (write, close) => {
      const watcher: Watcher = { runId, viewer, sessionId: claims.sessionId, userId: claims.userId, since, sinceTag: since ? etagOf(since) : "", openedAt: Date.now(), write, close };
      add(watcher);
      return () => remove(watcher);
    },
  };
}

function add(w: Watcher): void {
  const h = hub();
  let set = h.byRun.get(w.runId);
  if (!set) h.byRun.set(w.runId, (set = new Set()));
  set.add(w);
  h.count++;
  h.bySession.set(w.sessionId, (h.bySession.get(w.sessionId) ?? 0) + 1);
  if (h.down) w.write(EVENTS.unavailable);
  h.timer ??= setTimeout(() => void tick(), TICK_MS);
}

function remove(w: Watcher): void {
  const h = hub();
  const set = h.byRun.get(w.runId);
  if (!set?.delete(w)) return;
  if (set.size === 0) h.byRun.delete(w.runId);
  h.count--;
  const n = (h.bySession.get(w.sessionId) ?? 1) - 1;
  if (n <= 0) h.bySession.delete(w.sessionId);
  else h.bySession.set(w.sessionId, n);
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

function withDeadline<T>(work: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("run stream tick timed out"), { code: "ETIMEDOUT" })), TICK_DEADLINE_MS);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

function broadcast(chunk: Uint8Array): void {
  for (const set of hub().byRun.values()) for (const w of set) if (!w.write(chunk)) drop(w);
}

async function tick(): Promise<void> {
  const h = hub();
  h.timer = null;
  if (h.count === 0) return;
  h.ticks++;
  const started = Date.now();
  try {
    await withDeadline(step(started));
    if (h.ticks % KEEPALIVE_TICKS === 0) broadcast(EVENTS.keepalive);
    if (h.down) {
      h.down = false;
      broadcast(EVENTS.available);
    }
    h.loggedError = false;
  } catch (error) {
    if (isDatabaseUnavailable(error) || (error as { code?: string }).code === "ETIMEDOUT") {
      if (!h.down) broadcast(EVENTS.unavailable);
      h.down = true;
    } else if (!h.loggedError) {
      h.loggedError = true;
      console.error("[run-stream] tick failed (logged once until a tick works again)", error);
    }
  } finally {
    if (h.count > 0) h.timer ??= setTimeout(() => void tick(), Math.max(0, TICK_MS - (Date.now() - started)));
  }
}

async function step(now: number): Promise<void> {
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
  const groups = new Map<string, { viewer: RunViewer; current: Version; since: Version | null; watchers: Watcher[] }>();
  for (const [runId, set] of h.byRun) {
    const text = versions.get(runId);
    const currents = new Map<Who, { version: Version; tag: string } | null>();
    for (const w of [...set]) {
      if (!text) {
        drop(w, "end");
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
      else groups.set(key, { viewer: w.viewer, current: current.version, since: w.since, watchers: [w] });
    }
  }
  await Promise.all([...groups.values()].map((group) => answerRun(group.viewer, group.current, group.since, { fresh: true }).then((answer) => deliver(group.watchers, answer))));
}

/** One answer to every watcher of its group: encoded once, written to each. */
function deliver(watchers: Watcher[], answer: RunPoll | null): void {
  if (answer?.notModified) return;
  const chunk = answer ? encoder.encode(runEvent(answer)) : null;
  const since = answer ? parseEtag(answer.etag) : null;
  const end = answer ? isEnd(answer) : true;
  for (const w of watchers) {
    if (!hub().byRun.get(w.runId)?.has(w)) continue;
    if (chunk) {
      w.since = since;
      w.sinceTag = answer!.etag;
      if (!w.write(chunk)) {
        drop(w);
        continue;
      }
    }
    if (end) drop(w, "end");
  }
}
