/**
 * `npm run bench:watch`: what open run pages cost the server. Starts a real Postgres, the web app
 * (production build) and a worker, keeps K runs active (demo_paced, progress every poll), and
 * opens N simulated run pages: real HTTP with a session cookie, one poll a second each, the ETag
 * honoured (as usePolling does: the next poll a second after the answer). Half the pages are team
 * admins' (redacted view), half instance support's (unredacted), so both view kinds are shared;
 * 50 people of each, one session each.
 *
 * For each N it measures two phases of the same length: every page on an active run (changed
 * polls: deltas), then every page on a finished run (the unchanged 304 path) as the baseline, and
 * reports p50/p95 latency, polls/s, whether every poll was answered (200/304, no error, no
 * timeout), and web and Postgres CPU per 1,000 polls (/proc/<pid>/stat of the web process tree and
 * of the cluster's postmaster and its backends). Targets: at N = 500 on active runs p95 <= 100 ms
 * and every poll answered; a changed poll costs at most 2x an unchanged one.
 *
 * The same phases again in stream mode: each page holds the run's server-sent event stream open
 * (lib/dal/run-stream.ts) instead of polling. There, latency is an event's delivery (received
 * minus the `builtAt` the server stamped it with, one clock on one machine), and "answered" means
 * every stream stayed open and an active run's page got an update at least every 3 s. For both
 * modes, "staleness" is how old the newest change a page was sent is when it arrives (received
 * minus the newest time in its version), and CPU is per 1,000 page-seconds (one poll each in poll
 * mode), so the two compare directly.
 *
 * BENCH_WATCH_N="10,100,500" BENCH_WATCH_SECONDS=20 BENCH_WATCH_RUNS=5 BENCH_WATCH_MODES=poll,stream tune it.
 */
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { encode } from "next-auth/jwt";
import postgres from "postgres";
import { Agent, fetch as undiciFetch } from "undici";
import { createDatabase } from "@/lib/db/client";
import { projects, teams } from "@/lib/db/schema";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { ensureBuilt } from "@/scripts/lib/build-state";
import { freePort, postmasterOf } from "@/scripts/lib/embedded-pg";
import { startProcess, stopProcess, type Managed } from "@/scripts/lib/processes";
import { seedDemo } from "@/scripts/lib/seed";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";
import { webEnv } from "@/scripts/lib/web-env";

const NS = (process.env.BENCH_WATCH_N ?? "10,100,500").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_WATCH_SECONDS ?? 20);
const K = Number(process.env.BENCH_WATCH_RUNS ?? 5);
const MODES = (process.env.BENCH_WATCH_MODES ?? "poll,stream").split(",") as Mode[];
type Mode = "poll" | "stream";
/** An active run's stream page that waits longer than this for an update counts as not served. */
const STREAM_GAP_MS = 3000;
const POLL_MS = 1000;
/** A poll not answered within this counts as unanswered (a browser would show stale data). */
const TIMEOUT_MS = 10_000;
const TARGET_P95_MS = 100;
const TARGET_RATIO = 2;
const root = path.resolve(import.meta.dirname, "..");
const secret = "bench-watch-secret-0123456789abcdef";
const TICKS = 100; // USER_HZ on Linux

// ---------------------------------------------------------------------------------------------
// CPU from /proc

function statOf(pid: number): { ppid: number; ticks: number; children: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command may hold spaces or parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** CPU seconds used by a process and all its descendants (exited ones too, once reaped). */
function treeCpuSeconds(rootPid: number): number {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = statOf(pid);
    if (s) parents.set(s.ppid, [...(parents.get(s.ppid) ?? []), pid]);
  }
  let ticks = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    const s = statOf(pid);
    if (!s) continue;
    ticks += s.ticks + s.children;
    stack.push(...(parents.get(pid) ?? []));
  }
  return ticks / TICKS;
}

// ---------------------------------------------------------------------------------------------
// Simulated pages

type PhaseResult = {
  /** Polls, or events received in stream mode. */
  polls: number;
  ok200: number;
  ok304: number;
  failed: number;
  latencies: number[];
  staleness: number[];
  seconds: number;
  pageSeconds: number;
  webCpu: number;
  pgCpu: number;
  bytes: number;
};

/** The newest change a version (an ETag or event id) holds, epoch ms. */
function newestOf(version: string | null): number | null {
  const parts = version?.replace(/^W\//, "").replace(/"/g, "").split(".");
  if (!parts || parts.length < 10) return null;
  return Math.max(Number(parts[3]), Number(parts[4]), Number(parts[8]), Number(parts[9]));
}

async function runPhase(base: string, pages: { url: string; cookie: string }[], seconds: number, pids: { web: number; pg: number }, dispatcher: Agent): Promise<PhaseResult> {
  const result: PhaseResult = { polls: 0, ok200: 0, ok304: 0, failed: 0, latencies: [], staleness: [], seconds, pageSeconds: 0, webCpu: 0, pgCpu: 0, bytes: 0 };
  const web0 = treeCpuSeconds(pids.web);
  const pg0 = treeCpuSeconds(pids.pg);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    pages.map(async (page, i) => {
      let etag: string | null = null;
      // Pages open spread over the first second, as people do.
      await new Promise((r) => setTimeout(r, (i / pages.length) * POLL_MS));
      while (performance.now() < end) {
        const start = performance.now();
        try {
          const response = await undiciFetch(base + page.url, {
            headers: { cookie: page.cookie, ...(etag ? { "if-none-match": etag } : {}) },
            dispatcher,
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          const body = await response.arrayBuffer();
          const ms = performance.now() - start;
          result.polls++;
          result.latencies.push(ms);
          result.bytes += body.byteLength;
          if (response.status === 200) {
            result.ok200++;
            etag = response.headers.get("etag");
            const newest = newestOf(etag);
            if (newest) result.staleness.push(Date.now() - newest);
          } else if (response.status === 304) result.ok304++;
          else result.failed++;
        } catch {
          result.polls++;
          result.failed++;
          result.latencies.push(performance.now() - start);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }),
  );
  result.seconds = (performance.now() - t0) / 1000;
  result.pageSeconds = result.polls;
  result.webCpu = treeCpuSeconds(pids.web) - web0;
  result.pgCpu = treeCpuSeconds(pids.pg) - pg0;
  return result;
}

/** Read an event stream with node:http (no web streams: the client must not be the bottleneck it measures). */
function readStream(url: string, cookie: string, agent: http.Agent, signal: AbortSignal, onBlock: (block: string, at: number) => void, onBytes: (n: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { cookie, accept: "text/event-stream" }, signal }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`status ${response.statusCode}`));
      }
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (text: string) => {
        const at = Date.now();
        onBytes(Buffer.byteLength(text));
        buffer += text;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          onBlock(buffer.slice(0, cut), at);
          buffer = buffer.slice(cut + 2);
        }
      });
      response.on("end", () => resolve(Date.now()));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

/**
 * Stream mode: every page holds the run's event stream open for the phase. Each `run` event is
 * one update; a stream that fails, ends early, or (on an active run) goes STREAM_GAP_MS without an
 * update counts as failed.
 */
async function streamPhase(base: string, pages: { url: string; cookie: string }[], seconds: number, pids: { web: number; pg: number }, active: boolean): Promise<PhaseResult> {
  const result: PhaseResult = { polls: 0, ok200: 0, ok304: 0, failed: 0, latencies: [], staleness: [], seconds, pageSeconds: 0, webCpu: 0, pgCpu: 0, bytes: 0 };
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const web0 = treeCpuSeconds(pids.web);
  const pg0 = treeCpuSeconds(pids.pg);
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    pages.map(async (page, i) => {
      await new Promise((r) => setTimeout(r, (i / pages.length) * POLL_MS));
      const controller = new AbortController();
      const stop = setTimeout(() => controller.abort(), Math.max(0, end - Date.now()));
      const opened = Date.now();
      let lastUpdate = opened;
      let gaps = 0;
      let ok = true;
      const onBlock = (block: string, at: number) => {
        if (!block.startsWith("id: ")) {
          if (block.includes("event: ") && !block.includes("event: available")) ok = false;
          return;
        }
        const id = block.slice(4, block.indexOf("\n"));
        // builtAt is the body's last field; read it without parsing the whole event.
        const builtAt = Date.parse(/"builtAt":"([^"]+)"/.exec(block)?.[1] ?? "");
        result.polls++;
        result.ok200++;
        if (Number.isFinite(builtAt)) result.latencies.push(Math.max(0, at - builtAt));
        const newest = newestOf(id);
        if (newest) result.staleness.push(at - newest);
        if (active && at - lastUpdate > STREAM_GAP_MS) gaps++;
        lastUpdate = at;
      };
      try {
        const endedAt = await readStream(base + page.url + "/events", page.cookie, agent, controller.signal, onBlock, (n) => (result.bytes += n));
        // The server ended the stream before the phase did.
        if (endedAt < end - 50) ok = false;
      } catch {
        if (!controller.signal.aborted) ok = false;
      } finally {
        clearTimeout(stop);
      }
      if (active && end - lastUpdate > STREAM_GAP_MS) gaps++;
      if (!ok || gaps > 0) result.failed++;
      result.pageSeconds += (Math.min(Date.now(), end) - opened) / 1000;
    }),
  );
  agent.destroy();
  result.seconds = (Date.now() - t0) / 1000;
  result.webCpu = treeCpuSeconds(pids.web) - web0;
  result.pgCpu = treeCpuSeconds(pids.pg) - pg0;
  return result;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

type Row = {
  mode: Mode;
  n: number;
  phase: "active" | "unchanged";
  p50: number;
  p95: number;
  stale50: number;
  stale95: number;
  pollsPerSecond: number;
  answered: string;
  allAnswered: boolean;
  webPer1k: number;
  pgPer1k: number;
  kbPerPoll: number;
  share200: number;
};

function summarize(mode: Mode, n: number, phase: Row["phase"], r: PhaseResult): Row {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const stale = [...r.staleness].sort((a, b) => a - b);
  const per1k = (cpu: number) => (r.pageSeconds ? (cpu / r.pageSeconds) * 1000 : NaN);
  const pages = mode === "stream" ? `${n - r.failed}/${n} pages` : `${r.ok200 + r.ok304}/${r.polls}`;
  return {
    mode,
    n,
    phase,
    stale50: percentile(stale, 50),
    stale95: percentile(stale, 95),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    pollsPerSecond: r.polls / r.seconds,
    answered: pages,
    allAnswered: r.failed === 0 && (r.polls > 0 || (mode === "stream" && phase === "unchanged")),
    webPer1k: per1k(r.webCpu),
    pgPer1k: per1k(r.pgCpu),
    kbPerPoll: r.pageSeconds ? r.bytes / r.pageSeconds / 1024 : 0,
    share200: r.polls ? r.ok200 / r.polls : 0,
  };
}

// ---------------------------------------------------------------------------------------------

async function sessionCookie(sql: postgres.Sql, email: string): Promise<string> {
  const [user] = await sql<{ id: string; name: string }[]>`select id, name from users where email = ${email}`;
  if (!user) throw new Error(`no user ${email}`);
  const [session] = await sql<{ id: string }[]>`insert into user_sessions (user_id, expires_at, user_agent) values (${user.id}, now() + interval '1 day', 'bench') returning id`;
  const token = await encode({ token: { sub: user.id, sid: session!.id, name: user.name, email }, secret, salt: "authjs.session-token" });
  return `authjs.session-token=${token}`;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url, { redirect: "manual" })).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  if (ensureBuilt(root)) console.log("built the dashboard");
  const cluster = await startTestCluster(root, "benchwatch");
  const children: Managed[] = [];
  const stopAll = async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 10_000)));
    await cluster.stop();
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  const dispatcher = new Agent({ connections: null, keepAliveTimeout: 30_000, pipelining: 1 });
  try {
    const url = await createDatabaseFromTemplate(cluster.url("postgres"), "rb_bench_watch");
    const database = createDatabase(url, { max: 2 });
    await seedDemo(database.db);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    const [team] = await database.db.select().from(teams).limit(1);
    const [admin] = await sql<{ id: string }[]>`select id from users where email = 'admin@runboard.local'`;
    // demo_paced allows one active run per project: one project per watched run.
    const projectRows = await database.db
      .insert(projects)
      .values(Array.from({ length: K }, (_, i) => ({ teamId: team!.id, slug: `watch-${i}`, name: `Watch ${i}` })))
      .returning();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: url,
      AUTH_SECRET: secret,
      AUTH_TRUST_HOST: "true",
      NEXT_TELEMETRY_DISABLED: "1",
      RUNBOARD_URL: base,
      NODE_ENV: "production",
      // Progress lands more often than pages poll: every poll of an active run sees a change.
      PROGRESS_INTERVAL_MS: "250",
      HEARTBEAT_SECONDS: "2",
    };
    const web = startProcess("web", path.join(root, "node_modules", ".bin", "next"), ["start", "-p", String(port), "-H", "127.0.0.1"], webEnv(env));
    const worker = startProcess("worker", process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], env);
    children.push(web, worker);
    await waitForHttp(`${base}/sign-in`, 120_000);
    const pgPid = await postmasterOf(cluster.dataDir);
    if (!pgPid || !web.child.pid) throw new Error("could not find the web or Postgres process");

    // K long runs (an item a second for up to 2 hours), each changing several times a second.
    const boss = createSendOnlyBoss(url);
    await boss.start();
    const def = getJobDefinition("demo_paced")!;
    const active: { slug: string; id: string }[] = [];
    for (const p of projectRows) {
      const r = await triggerRun(database.db, boss, { def, payload: { items: 1000, msPerItem: 1000 }, teamId: team!.id, projectId: p.id, triggeredBy: admin!.id, notify: false });
      if (!r.ok) throw new Error(`trigger failed: ${JSON.stringify(r)}`);
      active.push({ slug: p.slug, id: r.runId });
    }
    // The unchanged baseline: a run scheduled for tomorrow, in a project of its own (pending, and
    // it changes for neither mode: a poll answers 304, a stream stays quiet).
    const [idleProject] = await database.db.insert(projects).values({ teamId: team!.id, slug: "watch-idle", name: "Watch idle" }).returning();
    const later = await triggerRun(database.db, boss, { def, payload: { items: 20, msPerItem: 250 }, teamId: team!.id, projectId: idleProject!.id, triggeredBy: admin!.id, notify: false, runAt: new Date(Date.now() + 86_400_000) });
    if (!later.ok) throw new Error(`trigger failed: ${JSON.stringify(later)}`);
    const idle = { slug: idleProject!.slug, id: later.runId };
    await boss.stop({ graceful: false, close: true });
    for (let i = 0; ; i++) {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from job_runs where status = 'running' and id = any(${active.map((a) => a.id)}::uuid[])`;
      if (row!.n === K) break;
      if (i > 240) throw new Error("the runs did not start");
      await new Promise((r) => setTimeout(r, 250));
    }

    // 50 people a role (team admins; instance support), one session each: at N = 500 that is 5
    // pages a person, within the stream bounds per session and per user.
    const SESSIONS = 50;
    const cookies = { admin: [] as string[], support: [] as string[] };
    for (let i = 0; i < SESSIONS; i++) {
      const [a] = await sql<{ email: string }[]>`insert into users (email, name, password_hash) values (${`watch-admin-${i}@bench.test`}, ${`Watch admin ${i}`}, 'x') returning email`;
      await sql`insert into team_members (team_id, user_id, role) select ${team!.id}, id, 'admin' from users where email = ${a!.email}`;
      const [s] = await sql<{ email: string }[]>`insert into users (email, name, password_hash, instance_role) values (${`watch-support-${i}@bench.test`}, ${`Watch support ${i}`}, 'x', 'support') returning email`;
      cookies.admin.push(await sessionCookie(sql, a!.email));
      cookies.support.push(await sessionCookie(sql, s!.email));
    }
    const pageOf = (i: number, run: { slug: string; id: string }) => ({
      url: `/api/projects/${run.slug}/runs/${run.id}`,
      cookie: i % 2 === 0 ? cookies.admin[(i / 2) % SESSIONS]! : cookies.support[((i - 1) / 2) % SESSIONS]!,
    });
    const pids = { web: web.child.pid, pg: pgPid };
    const phase = (mode: Mode, pages: { url: string; cookie: string }[], seconds: number, isActive: boolean) =>
      mode === "poll" ? runPhase(base, pages, seconds, pids, dispatcher) : streamPhase(base, pages, seconds, pids, isActive);
    const rows: Row[] = [];
    for (const mode of MODES) {
      // Warm up: compile paths, fill pools.
      await phase(mode, Array.from({ length: 20 }, (_, i) => pageOf(i, active[i % K]!)), 3, true);
      await phase(mode, Array.from({ length: 20 }, (_, i) => pageOf(i, idle)), 3, false);
      for (const n of NS) {
        const changed = await phase(mode, Array.from({ length: n }, (_, i) => pageOf(i, active[i % K]!)), SECONDS, true);
        rows.push(summarize(mode, n, "active", changed));
        const same = await phase(mode, Array.from({ length: n }, (_, i) => pageOf(i, idle)), SECONDS, false);
        rows.push(summarize(mode, n, "unchanged", same));
        for (const r of rows.slice(-2))
          console.log(
            `${mode.padEnd(6)} N=${String(n).padStart(3)} ${r.phase.padEnd(9)} p50 ${r.p50.toFixed(1).padStart(7)} ms  p95 ${r.p95.toFixed(1).padStart(7)} ms  stale p95 ${r.stale95.toFixed(0).padStart(5)} ms  ${r.pollsPerSecond.toFixed(1).padStart(6)} /s  answered ${r.answered}  web ${r.webPer1k.toFixed(2)} s/1k  pg ${r.pgPer1k.toFixed(2)} s/1k  ${r.kbPerPoll.toFixed(2)} KiB/page-s`,
          );
      }
    }

    console.log(`\nK = ${K} active runs, ${SECONDS} s per phase, pages half team admin (redacted) and half support (unredacted).`);
    console.log("Poll: latency per poll; stream: delivery of each event (received minus the server's builtAt). CPU and KiB per page-second (a poll each, in poll mode).\n");
    console.log("| mode | N | watching | p50 ms | p95 ms | staleness p95 ms | answers/s | answered | KiB / page-s | web CPU s / 1k page-s | Postgres CPU s / 1k page-s |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
    const quiet = (r: Row) => r.mode === "stream" && r.phase === "unchanged";
    // An unchanged run sends nothing new: no staleness to speak of, and a quiet stream no latency
    // (its only event answers the connect).
    for (const r of rows)
      console.log(
        `| ${r.mode} | ${r.n} | ${r.phase === "active" ? "active runs" : r.mode === "poll" ? "unchanged run (304)" : "unchanged run (quiet)"} | ${quiet(r) ? "–" : fmt(r.p50)} | ${quiet(r) ? "–" : fmt(r.p95)} | ${r.phase === "active" ? fmt(r.stale95, 0) : "–"} | ${fmt(r.pollsPerSecond)} | ${r.answered} | ${fmt(r.kbPerPoll, 2)} | ${fmt(r.webPer1k, 2)} | ${fmt(r.pgPer1k, 2)} |`,
      );
    const cost = (r: Row) => r.webPer1k + r.pgPer1k;
    console.log("\n| mode | N | active / its own unchanged | active / poll's unchanged (304) |\n| --- | --- | --- | --- |");
    const verdicts: string[] = [];
    const top = Math.max(...NS);
    for (const mode of MODES)
      for (const n of NS) {
        const a = rows.find((r) => r.mode === mode && r.n === n && r.phase === "active")!;
        const u = rows.find((r) => r.mode === mode && r.n === n && r.phase === "unchanged")!;
        const pollU = rows.find((r) => r.mode === "poll" && r.n === n && r.phase === "unchanged");
        const ratio = cost(a) / cost(u);
        const vsPoll = pollU ? cost(a) / cost(pollU) : NaN;
        console.log(`| ${mode} | ${n} | ${fmt(ratio, 2)}x | ${fmt(vsPoll, 2)}x |`);
        if (n !== top) continue;
        const what = mode === "poll" ? "poll" : "stream event delivery";
        verdicts.push(`${mode}: ${what} p95 ${fmt(a.p95)} ms ${a.p95 <= TARGET_P95_MS ? `<= ${TARGET_P95_MS} ms: met` : `> ${TARGET_P95_MS} ms: MISSED`}`);
        verdicts.push(`${mode}: ${a.allAnswered ? `every ${mode === "poll" ? "poll answered" : "page updated at least every 3 s"}: met` : `not all served (${a.answered}): MISSED`}`);
        const bound = mode === "poll" ? ratio : vsPoll;
        verdicts.push(`${mode}: changed cost / unchanged poll ${fmt(bound, 2)}x ${bound <= TARGET_RATIO ? `<= ${TARGET_RATIO}x: met` : `> ${TARGET_RATIO}x: MISSED`}`);
      }
    console.log(`\nAt N = ${top} on active runs: ${verdicts.join("; ")}.`);
    await sql.end();
    await database.close();
  } finally {
    await dispatcher.close();
    await stopAll();
  }
}

await main();
