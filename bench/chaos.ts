/**
 * `npm run chaos`: Runboard under faults. Its own embedded Postgres, `next start` on the current
 * build, several worker processes (two of them with the same WORKER_NAME), load through the REST
 * API across many projects, and faults on a schedule: SIGKILL and SIGTERM of workers (restarted),
 * a Postgres restart, a Postgres stop (30 s), and cancels sent around each run's expected end.
 * It ends with a table; every "wrong" column must be zero, else it exits 1.
 *
 * `npm run chaos -- --short` is the quick version (one SIGKILL of a same-name worker, one
 * Postgres restart, a few cancel races, about a minute). `--json <file>` writes the figures.
 * What each column counts is defined in docs/chaos.md, and in `analyse` below.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { createDatabase } from "@/lib/db/client";
import { ensureBuilt } from "@/scripts/lib/build-state";
import { freePort, startEmbeddedPostgres, stopPostmaster } from "@/scripts/lib/embedded-pg";
import { seedDemo } from "@/scripts/lib/seed";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";
import { webEnv } from "@/scripts/lib/web-env";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const short = args.includes("--short");
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : undefined;
const logDir = path.join(root, ".data", `chaos-${process.pid}`);
mkdirSync(logDir, { recursive: true });

/** Scaled-down defaults (30 s heartbeat, 120 s stale) keep their ratio: a lost run is stale after 4 heartbeats. */
const settings = short
  ? { projects: 6, loadSeconds: 32, heartbeat: 3, stale: 12, sweep: 3, outageSeconds: 0, cancelShare: 0.35 }
  : { projects: 20, loadSeconds: 150, heartbeat: 10, stale: 40, sweep: 10, outageSeconds: 30, cancelShare: 0.25 };
/** A run that waits longer than this to start (Postgres outages not counted) is stuck: recovery should have freed it. */
const stuckAfterMs = (settings.stale + 2 * settings.sweep) * 1000;

const TERMINAL = new Set(["completed", "failed", "cancelled", "dead_letter"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s`;
const say = (line: string) => console.log(`[chaos ${since()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Processes

type Proc = { label: string; name: string; child: ChildProcess; pid: number; startedAt: number; exitedAt: number | null; exit: Promise<void> };
const procs: Proc[] = [];

function spawnLogged(label: string, name: string, command: string, argv: string[], env: NodeJS.ProcessEnv): Proc {
  const out = openSync(path.join(logDir, `${label}.log`), "a");
  const child = spawn(command, argv, { cwd: root, env, stdio: ["ignore", out, out], detached: true });
  const p: Proc = { label, name, child, pid: child.pid ?? 0, startedAt: Date.now(), exitedAt: null, exit: Promise.resolve() };
  p.exit = new Promise((resolve) =>
    child.once("exit", () => {
      p.exitedAt = Date.now();
      resolve();
    }),
  );
  procs.push(p);
  return p;
}

let workerEnv: NodeJS.ProcessEnv = process.env;
const worker = (label: string, name: string) =>
  spawnLogged(label, name, process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], { ...workerEnv, WORKER_NAME: name });
const liveWorker = (label: string) => procs.findLast((p) => p.label === label && p.exitedAt === null);

/** Until the worker says it is ready, so the first of two same-name workers holds the name. */
async function ready(p: Proc, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The worker's id is `<name>:<pid>:<hex>`.
  const readyLine = new RegExp(`\\[worker\\] ${p.name}:${p.pid}:[0-9a-f]+ ready`);
  while (!readyLine.test(readFileSync(path.join(logDir, `${p.label}.log`), "utf8"))) {
    if (p.exitedAt !== null || Date.now() > deadline) throw new Error(`worker ${p.label} did not become ready; see ${path.join(logDir, `${p.label}.log`)}`);
    await sleep(200);
  }
}

async function stopGroup(p: Proc, graceMs: number): Promise<void> {
  if (p.exitedAt !== null) return;
  try {
    process.kill(-p.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, graceMs);
  await p.exit;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The API, as a client sees it

let baseUrl = "";
let apiKey = "";
const answers = new Map<number, number>();
const serverErrors: { at: number; status: number; path: string; body: string }[] = [];
/** Requests that got no HTTP answer: a hang (15 s) or a dropped connection. */
const noAnswers: { at: number; ms: number; path: string; error: string }[] = [];
const outages: { from: number; to: number | null }[] = [];

type Answer = { status: number; body: Record<string, unknown> | null; at: number };

async function api(method: "GET" | "POST", route: string, body?: unknown): Promise<Answer> {
  const at = Date.now();
  try {
    const response = await fetch(`${baseUrl}/api/v1${route}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
    // A 503 is the right answer while Postgres is down; any other 5xx is a bug.
    if (response.status >= 500 && response.status !== 503) serverErrors.push({ at, status: response.status, path: route, body: text.slice(0, 300) });
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, at };
  } catch (error) {
    answers.set(0, (answers.get(0) ?? 0) + 1);
    noAnswers.push({ at, ms: Date.now() - at, path: `${method} ${route}`, error: (error as Error).name === "TimeoutError" ? "no answer within 15 s" : String((error as Error).cause ?? error) });
    return { status: 0, body: null, at };
  }
}

// ---------------------------------------------------------------------------------------------
// Load

type CancelRecord = { sentAt: number; offsetMs: number; status: number; outcome: string | null; said: string | null };
type RunRecord = { id: string; slug: string; jobType: string; createdAt: number; expectedMs: number; cancel: CancelRecord | null };
const runs: RunRecord[] = [];
let loadEndsAt = 0;
let followEndsAt = Infinity;

type RunView = { status: string; startedAt: string | null; terminal: boolean };

/** Poll a run until it ends; for a cancel race, cancel it around its expected end. */
async function follow(run: RunRecord, race: boolean): Promise<void> {
  let cancelTimer: Promise<void> | null = null;
  while (Date.now() < followEndsAt) {
    const answer = await api("GET", `/projects/${run.slug}/runs/${run.id}`);
    const view = answer.status === 200 ? (answer.body as unknown as RunView) : null;
    if (view?.terminal) break;
    if (race && !cancelTimer && view?.status === "running" && view.startedAt) {
      const offsetMs = rand(-400, 250);
      const at = Date.parse(view.startedAt) + run.expectedMs + offsetMs;
      cancelTimer = (async () => {
        await sleep(Math.max(0, at - Date.now()));
        const sentAt = Date.now();
        const a = await api("POST", `/projects/${run.slug}/runs/${run.id}/cancel`);
        const error = (a.body?.error ?? null) as { code?: string; message?: string } | null;
        const said = error?.message ? (/\((\w+)\)/.exec(error.message)?.[1] ?? null) : null;
        run.cancel = { sentAt, offsetMs: sentAt - (Date.parse(view.startedAt!) + run.expectedMs), status: a.status, outcome: (a.body?.outcome as string | undefined) ?? error?.code ?? null, said };
      })();
    }
    await sleep(700);
  }
  await cancelTimer;
}

const CSV = ["email,name", ...Array.from({ length: 20 }, (_, i) => `chaos${i}@example.com,Chaos ${i}`)].join("\n");

async function lane(slug: string, kind: "demo" | "other"): Promise<void> {
  let turn = 0;
  while (Date.now() < loadEndsAt) {
    turn++;
    let body: { jobType: string; payload: Record<string, unknown> };
    let expectedMs = 0;
    if (kind === "demo") {
      const items = rand(5, 25);
      const msPerItem = rand(100, 250);
      expectedMs = items * msPerItem;
      body = { jobType: "demo_paced", payload: { items, msPerItem } };
    } else {
      body = turn % 2 ? { jobType: "runs_export", payload: { days: 1 } } : { jobType: "contacts_import", payload: { fileId: { name: "c.csv", encoding: "utf8", content: CSV } } };
    }
    const answer = await api("POST", `/projects/${slug}/runs`, body);
    if (answer.status === 201) {
      const id = (answer.body?.run as { id?: string } | undefined)?.id ?? (answer.body?.id as string | undefined);
      if (!id) throw new Error(`201 without a run id: ${JSON.stringify(answer.body).slice(0, 200)}`);
      const run: RunRecord = { id, slug, jobType: body.jobType, createdAt: answer.at, expectedMs, cancel: null };
      runs.push(run);
      await follow(run, kind === "demo" && Math.random() < settings.cancelShare);
    } else {
      await sleep(answer.status === 409 ? 500 : 1_000);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

type FaultLog = { at: number; what: string };
const faults: FaultLog[] = [];
const fault = (what: string) => {
  faults.push({ at: Date.now(), what });
  say(what);
};

let pgDir = "";
let pgPort = 0;
const pgSettings = { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" };

async function postgresDown(): Promise<void> {
  outages.push({ from: Date.now(), to: null });
  await stopPostmaster(pgDir);
}
async function postgresUp(): Promise<void> {
  await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, settings: pgSettings, log: () => undefined });
  outages.at(-1)!.to = Date.now();
}

async function killWorker(label: string, signal: "SIGKILL" | "SIGTERM", restartAfterMs: number): Promise<void> {
  const p = liveWorker(label);
  if (!p) return;
  fault(`${signal} worker ${label} (${p.name}, pid ${p.pid})`);
  process.kill(p.pid, signal);
  await p.exit;
  await sleep(restartAfterMs);
  const next = worker(label, p.name);
  say(`restarted worker ${label} (${p.name}, pid ${next.pid})`);
}

async function faultSchedule(): Promise<void> {
  const at = async (seconds: number) => sleep(Math.max(0, loadStartedAt + seconds * 1000 - Date.now()));
  if (short) {
    await at(8);
    await killWorker("w2a", "SIGKILL", 1_000);
    await at(18);
    fault("Postgres restart (fast shutdown, start again)");
    await postgresDown();
    await postgresUp();
    return;
  }
  await at(15);
  await killWorker("w1", "SIGKILL", 2_000);
  await at(30);
  await killWorker("w2", "SIGTERM", 0);
  await at(45);
  await killWorker("w3a", "SIGKILL", 2_000);
  await at(60);
  fault("Postgres restart (fast shutdown, start again)");
  await postgresDown();
  await postgresUp();
  // After a Postgres restart, a same-name worker starting again must not take its twin's runs.
  await at(70);
  await killWorker("w3b", "SIGKILL", 2_000);
  await at(85);
  fault(`Postgres stop for ${settings.outageSeconds} s`);
  await postgresDown();
  await sleep(settings.outageSeconds * 1000);
  await postgresUp();
  say("Postgres is back");
  await at(125);
  await killWorker("w1", "SIGKILL", 2_000);
}
let loadStartedAt = 0;

// ---------------------------------------------------------------------------------------------
// Analysis

type Figures = Record<(typeof BARS)[number], number> & {
  settings: typeof settings;
  /** The bars: every "wrong" column by name, each must be 0. */
  wrong: Record<(typeof BARS)[number], number>;
  created: number;
  completed: number;
  failed: number;
  cancelled: number;
  deadLettered: number;
  cancelRaces: number;
  killedBeforeEnd: number;
  recovery: { apiSeconds: number | null; backlogSeconds: number | null; firstCompletionSeconds: number | null } | null;
  answers: Record<string, number>;
  /** The machine's 1-minute load average at the end: a loaded box makes answers slow, not wrong. */
  loadAverage: number;
  details: Record<string, unknown[]>;
};

/** The worker process behind a run's worker_id (`<WORKER_NAME>:<pid>:<hex>`). */
function procOf(workerId: string | null): Proc | undefined {
  const pid = /:(\d+):[0-9a-f]+$/.exec(workerId ?? "")?.[1];
  return pid ? procs.find((p) => p.label !== "web" && String(p.pid) === pid) : undefined;
}

/** Time a run waited to start, less any Postgres outage it waited through. */
function waitedMs(queuedAt: number, pickedAt: number): number {
  let ms = pickedAt - queuedAt;
  for (const o of outages) {
    const from = Math.max(o.from, queuedAt);
    const to = Math.min(o.to ?? pickedAt, pickedAt);
    if (to > from) ms -= to - from;
  }
  return ms;
}

async function analyse(url: string): Promise<Figures> {
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  try {
    const ids = runs.map((r) => r.id);
    const rows = await sql<{ id: string; status: string; queued_at: Date; started_at: Date | null; completed_at: Date | null; boss_job_id: string | null }[]>`
      select id, status, queued_at, started_at, completed_at, boss_job_id from job_runs where id = any(${ids}::uuid[])`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !byId.has(id));
    // Not ended, and nothing left in pg-boss that would ever run it.
    const orphaned = await sql<{ id: string }[]>`
      select r.id from job_runs r where r.id = any(${ids}::uuid[]) and r.status in ('pending', 'running')
        and not exists (select 1 from pgboss.job j where j.data->>'runId' = r.id::text and j.state in ('created', 'retry', 'active'))`;

    // Recovery ended an attempt as lost (worker_restarted, heartbeat_timeout, …; a worker's own
    // shutdown is its own end) while its worker process was alive, or after it had done the work
    // (pg-boss holds the attempt's job as completed — not merely detached from the fetch loop —
    // or the run reported all its items).
    const lostEnds = await sql<{ run_id: string; attempt_number: number; error_sub_type: string | null; worker_id: string | null; created_at: Date; boss_completed: boolean; all_items: boolean }[]>`
      select s.run_id, s.attempt_number, s.error_sub_type, s.worker_id, s.created_at,
        exists (select 1 from pgboss.job j where j.data->>'runId' = s.run_id::text and j.state = 'completed'
                and not coalesce((j.output->>'runboardDetached')::boolean, false)) as boss_completed,
        coalesce(r.progress_total > 0 and r.progress_processed = r.progress_total, false) as all_items
      from job_run_steps s join job_runs r on r.id = s.run_id
      where s.run_id = any(${ids}::uuid[]) and s.step_type = 'attempt' and s.status in ('failed', 'retrying')
        and s.error_source = 'worker' and coalesce(s.error_sub_type, '') <> 'worker_shutdown'`;
    const workerAliveAt = (e: (typeof lostEnds)[number]) => {
      const proc = procOf(e.worker_id);
      return proc ? proc.exitedAt === null || proc.exitedAt > e.created_at.getTime() : false;
    };
    const wrongly = lostEnds.filter((e) => workerAliveAt(e) || e.boss_completed);
    // Its worker was SIGKILLed after the run reported its last item but before the end was
    // committed: the crash window every queue has (pg-boss too, between a handler's return and
    // its complete). Recovery retries it per policy; reported, not a "wrong" column.
    const killedBeforeEnd = lostEnds.filter((e) => !workerAliveAt(e) && !e.boss_completed && e.all_items);

    // Ended twice: one attempt with two end rows (two end writes landed), or a run whose final
    // status contradicts its last attempt's end row (a later write overturned an earlier end).
    const doubleEnds = await sql<{ run_id: string; attempt_number: number; n: number }[]>`
      select run_id, attempt_number, count(*)::int as n from job_run_steps
      where run_id = any(${ids}::uuid[]) and step_type = 'attempt' and status <> 'started'
      group by 1, 2 having count(*) > 1`;
    const contradicted = await sql<{ id: string; status: string; last: string }[]>`
      select r.id, r.status, last.status as last from job_runs r
      join lateral (select s.status from job_run_steps s where s.run_id = r.id and s.step_type = 'attempt' and s.status <> 'started'
                    order by s.attempt_number desc, s.created_at desc limit 1) last on true
      where r.id = any(${ids}::uuid[]) and r.status in ('completed', 'failed', 'cancelled', 'dead_letter')
        and not ((r.status = 'completed' and last.status = 'completed')
              or (r.status = 'cancelled' and last.status in ('cancelled', 'retrying'))
              or (r.status in ('failed', 'dead_letter') and last.status in ('failed', 'retrying')))`;

    const bossActive = await sql<{ id: string; run_id: string }[]>`
      select j.id, r.id as run_id from pgboss.job j join job_runs r on r.id::text = j.data->>'runId'
      where j.state = 'active' and r.status in ('completed', 'failed', 'cancelled', 'dead_letter')`;

    // Stuck: not ended at all; waited to start longer than the threshold (outages not counted);
    // or, its worker killed, ended by recovery only after more than the threshold.
    const end = Date.now();
    const foundLate = new Set(
      lostEnds
        .filter((e) => {
          const exitedAt = procOf(e.worker_id)?.exitedAt;
          return exitedAt != null && waitedMs(exitedAt, e.created_at.getTime()) > stuckAfterMs;
        })
        .map((e) => e.run_id),
    );
    const stuck = rows.filter((r) => {
      if (!TERMINAL.has(r.status) || foundLate.has(r.id)) return true;
      const picked = (r.started_at ?? r.completed_at ?? new Date(end)).getTime();
      return waitedMs(r.queued_at.getTime(), picked) > stuckAfterMs;
    });

    const races = runs.filter((r) => r.cancel && r.cancel.status !== 0 && r.cancel.status !== 503);
    const inconsistent = races.filter((r) => {
      const final = byId.get(r.id)?.status;
      const c = r.cancel!;
      if (c.status === 200) return final !== "cancelled";
      if (c.status === 409) return final === "cancelled" || (c.said !== null && c.said !== final);
      return true;
    });

    let recovery: Figures["recovery"] = null;
    const last = outages.filter((o) => o.to !== null).at(-1);
    if (last?.to) {
      const back = last.to;
      const firstOk = runs.length ? Math.min(...[...runs.map((r) => r.createdAt)].filter((t) => t >= back)) : Infinity;
      const backlog = rows.filter((r) => r.queued_at.getTime() < last.from && (r.started_at?.getTime() ?? 0) >= back).map((r) => r.started_at!.getTime() - back);
      const completions = rows.filter((r) => r.queued_at.getTime() >= back && r.status === "completed" && r.completed_at).map((r) => r.completed_at!.getTime() - back);
      recovery = {
        apiSeconds: Number.isFinite(firstOk) ? (firstOk - back) / 1000 : null,
        backlogSeconds: backlog.length ? Math.max(...backlog) / 1000 : 0,
        firstCompletionSeconds: completions.length ? Math.min(...completions) / 1000 : null,
      };
    }

    const count = (s: string) => rows.filter((r) => r.status === s).length;
    const wrong = {
      lost: missing.length + orphaned.length,
      wronglyFailed: new Set(wrongly.map((w) => w.run_id)).size,
      endedTwice: new Set([...doubleEnds.map((d) => d.run_id), ...contradicted.map((c) => c.id)]).size,
      stuck: stuck.length,
      bossActiveForEnded: bossActive.length,
      cancelInconsistent: inconsistent.length,
      serverErrors: serverErrors.length,
      hung: noAnswers.filter((n) => n.error === "no answer within 15 s").length,
    } satisfies Record<(typeof BARS)[number], number>;
    return {
      settings,
      wrong,
      created: runs.length,
      completed: count("completed"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      deadLettered: count("dead_letter"),
      ...wrong,
      cancelRaces: races.length,
      killedBeforeEnd: new Set(killedBeforeEnd.map((k) => k.run_id)).size,
      recovery,
      answers: Object.fromEntries([...answers].map(([k, v]) => [String(k), v])),
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      details: {
        missing,
        orphaned: orphaned.map((o) => o.id),
        wronglyFailed: wrongly.map((w) => ({ ...w, created_at: w.created_at.toISOString() })),
        killedBeforeEnd: killedBeforeEnd.map((k) => ({ ...k, created_at: k.created_at.toISOString() })),
        doubleEnds,
        contradicted,
        stuck: stuck.map((r) => ({ id: r.id, status: r.status, waitedSeconds: Math.round(waitedMs(r.queued_at.getTime(), (r.started_at ?? r.completed_at ?? new Date(end)).getTime()) / 1000) })),
        bossActive,
        cancelInconsistent: inconsistent.map((r) => ({ id: r.id, cancel: r.cancel, final: byId.get(r.id)?.status })),
        serverErrors: serverErrors.slice(0, 20),
        noAnswers: noAnswers.map((n) => ({ ...n, at: Math.round((n.at - loadStartedAt) / 100) / 10 })),
        outages: outages.map((o) => ({ from: Math.round((o.from - loadStartedAt) / 100) / 10, to: o.to === null ? null : Math.round((o.to - loadStartedAt) / 100) / 10 })),
        faults: faults.map((f) => ({ at: Math.round((f.at - loadStartedAt) / 100) / 10, what: f.what })),
      },
    };
  } finally {
    await sql.end();
  }
}

/** The "wrong" columns: each must be zero. */
const BARS = ["lost", "wronglyFailed", "endedTwice", "stuck", "bossActiveForEnded", "cancelInconsistent", "serverErrors", "hung"] as const;

function table(f: Figures): string {
  const rows: [string, string | number, string][] = [
    ["runs created", f.created, "201 answers"],
    ["completed", f.completed, ""],
    ["failed", f.failed, ""],
    ["cancelled", f.cancelled, ""],
    ["dead-lettered", f.deadLettered, ""],
    ["lost", f.lost, "bar 0"],
    ["wrongly failed", f.wronglyFailed, "bar 0"],
    ["killed after its last item, before its end was written", f.killedBeforeEnd, "retried per policy"],
    ["ended twice", f.endedTwice, "bar 0"],
    [`stuck beyond ${stuckAfterMs / 1000} s`, f.stuck, "bar 0"],
    ["pg-boss jobs active for ended runs", f.bossActiveForEnded, "bar 0"],
    [`cancel answers inconsistent (of ${f.cancelRaces} races)`, f.cancelInconsistent, "bar 0"],
    ["API 5xx other than 503", f.serverErrors, "bar 0"],
    ["API requests with no answer in 15 s", f.hung, "bar 0"],
  ];
  if (f.recovery) {
    rows.push(["recovery: API answering after Postgres was back", f.recovery.apiSeconds === null ? "—" : `${f.recovery.apiSeconds.toFixed(1)} s`, ""]);
    rows.push(["recovery: held runs started", f.recovery.backlogSeconds === null ? "—" : `${f.recovery.backlogSeconds.toFixed(1)} s`, ""]);
    rows.push(["recovery: first new run completed", f.recovery.firstCompletionSeconds === null ? "—" : `${f.recovery.firstCompletionSeconds.toFixed(1)} s`, ""]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  const bad = new Set(BARS.map(String));
  const keyOf: Record<string, string> = { lost: "lost", "wrongly failed": "wronglyFailed", "ended twice": "endedTwice", "pg-boss jobs active for ended runs": "bossActiveForEnded", "API 5xx other than 503": "serverErrors", "API requests with no answer in 15 s": "hung" };
  return rows
    .map(([label, value, note]) => {
      const key = keyOf[label] ?? (label.startsWith("stuck") ? "stuck" : label.startsWith("cancel answers") ? "cancelInconsistent" : "");
      const flag = bad.has(key) && value !== 0 ? "  ✗" : "";
      return `  ${label.padEnd(width)}  ${String(value).padStart(7)}  ${note}${flag}`;
    })
    .join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  say(`${short ? "short" : "full"} run: ${settings.projects} projects, load ${settings.loadSeconds} s, heartbeat ${settings.heartbeat} s, stale ${settings.stale} s; logs in ${path.relative(root, logDir)}`);
  if (ensureBuilt(root)) say("built the dashboard");
  const cluster = await startTestCluster(root, "chaos");
  pgDir = cluster.dataDir;
  pgPort = cluster.port;
  const url = await createDatabaseFromTemplate(cluster.url("postgres"), "rb_chaos");
  try {
    const database = createDatabase(url, { max: 1 });
    await seedDemo(database.db);
    await database.close();
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    const slugs = Array.from({ length: settings.projects }, (_, i) => `chaos-${String(i + 1).padStart(2, "0")}`);
    apiKey = `rb_chaos000_${randomBytes(32).toString("base64url")}`;
    await sql`insert into projects (team_id, slug, name) select t.id, s, initcap(replace(s, '-', ' ')) from teams t, unnest(${slugs}::text[]) s where t.slug = 'acme'`;
    await sql`insert into api_keys (team_id, name, prefix, key_hash, scopes, created_by)
      select t.id, 'chaos', 'chaos000', ${createHash("sha256").update(apiKey).digest("hex")}, array['jobs:read', 'jobs:write'], u.id
      from teams t, users u where t.slug = 'acme' and u.email = 'admin@runboard.local'`;
    await sql.end();

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: url,
      AUTH_SECRET: "chaos-secret-not-for-production-0123456789",
      AUTH_TRUST_HOST: "true",
      NEXT_TELEMETRY_DISABLED: "1",
      RUNBOARD_URL: baseUrl,
      RUNBOARD_API_BURST: "100000",
      RUNBOARD_API_RATE: "100000",
      HEARTBEAT_SECONDS: String(settings.heartbeat),
      STALE_AFTER_SECONDS: String(settings.stale),
      SWEEP_INTERVAL_SECONDS: String(settings.sweep),
      CANCEL_POLL_MS: "250",
      PROGRESS_INTERVAL_MS: "250",
      SHUTDOWN_GRACE_MS: "3000",
    };
    workerEnv = common;
    spawnLogged("web", "web", path.join(root, "node_modules", ".bin", "next"), ["start", "-p", String(port), "-H", "127.0.0.1"], webEnv(common));
    const labels: [string, string][] = short
      ? [
          ["w1", "chaos-1"],
          ["w2a", "chaos-2"],
          ["w2b", "chaos-2"],
        ]
      : [
          ["w1", "chaos-1"],
          ["w2", "chaos-2"],
          ["w3a", "chaos-3"],
          ["w3b", "chaos-3"],
        ];
    // One after another: the first of two same-name workers is the one holding the name.
    for (const [label, name] of labels) await ready(worker(label, name));
    for (const deadline = Date.now() + 90_000; ; ) {
      const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("the web did not come up within 90 s");
      await sleep(300);
    }

    loadStartedAt = Date.now();
    loadEndsAt = loadStartedAt + settings.loadSeconds * 1000;
    say(`load on ${slugs.length} projects, ${labels.length} workers (${labels.map(([l, n]) => `${l}=${n}`).join(", ")})`);
    const lanes = slugs.flatMap((slug, i) => [lane(slug, "demo"), ...(i % 2 === 0 ? [lane(slug, "other")] : [])]);
    const schedule = faultSchedule();
    // Followers give up after the drain: recovery has had twice its threshold to end every run.
    followEndsAt = loadEndsAt + 2 * (settings.stale + 2 * settings.sweep) * 1000 + 20_000;
    await Promise.all([schedule, ...lanes]);
    say(`load stopped: ${runs.length} runs created; waiting for every run to end`);

    const sql2 = postgres(url, { max: 1, onnotice: () => undefined });
    while (Date.now() < followEndsAt) {
      const [row] = await sql2<{ n: number }[]>`select count(*)::int as n from job_runs where id = any(${runs.map((r) => r.id)}::uuid[]) and status in ('pending', 'running')`;
      if ((row?.n ?? 0) === 0) break;
      await sleep(1_000);
    }
    // Let recovery settle pg-boss's side of ended runs, as it would in normal operation.
    await sleep(settings.sweep * 1000 + 2_000);
    await sql2.end();

    const figures = await analyse(url);
    writeFileSync(path.join(logDir, "figures.json"), JSON.stringify(figures, null, 2));
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(figures, null, 2));
    console.log(`\nRunboard under faults (${short ? "short" : "full"}; ${faults.map((f) => f.what).join("; ")})\n${table(figures)}\n`);
    console.log(`API answers: ${Object.entries(figures.answers).map(([k, v]) => `${k === "0" ? "no answer" : k} ×${v}`).join(", ")}; load average ${figures.loadAverage}`);
    const detailsOf: Record<(typeof BARS)[number], string[]> = {
      lost: ["missing", "orphaned"],
      wronglyFailed: ["wronglyFailed"],
      endedTwice: ["doubleEnds", "contradicted"],
      stuck: ["stuck"],
      bossActiveForEnded: ["bossActive"],
      cancelInconsistent: ["cancelInconsistent"],
      serverErrors: ["serverErrors"],
      hung: ["noAnswers"],
    };
    for (const bar of BARS) {
      if (figures[bar] !== 0) console.log(`✗ ${bar}: ${detailsOf[bar].map((k) => JSON.stringify(figures.details[k] ?? []).slice(0, 1200)).join(" ")}`);
    }
    const failed = BARS.filter((b) => figures[b] !== 0);
    console.log(failed.length ? `FAIL: ${failed.join(", ")} not zero` : "PASS: every wrong column is zero");
    return failed.length ? 1 : 0;
  } finally {
    await Promise.all(procs.map((p) => stopGroup(p, 8_000)));
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    await Promise.all(procs.map((p) => stopGroup(p, 3_000)));
    process.exit(2);
  },
);
