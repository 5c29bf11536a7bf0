/**
 * `npm run bench:history`: run history over HTTP on 10 million runs. Seeds the reusable database
 * in .data/bench-history once (bench/history-seed.ts), builds the dashboard when its sources
 * changed, starts the real `next start` against it, signs in by minting an Auth.js session
 * cookie, and measures p50/p95 of whole-page responses for each view (the Queues pages and their
 * poll included). Target: p95 ≤ 50 ms.
 */
import path from "node:path";
import { encode } from "next-auth/jwt";
import postgres from "postgres";
import { ensureBuilt } from "@/scripts/lib/build-state";
import { freePort } from "@/scripts/lib/embedded-pg";
import { startProcess, stopProcess } from "@/scripts/lib/processes";
import { webEnv } from "@/scripts/lib/web-env";
import { BENCH_ADMIN, BENCH_SUPPORT, BIG_PROJECT, seedHistory, startHistoryBenchDb } from "./history-seed";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const TARGET_P95_MS = 50;
const root = path.resolve(import.meta.dirname, "..");
const secret = "bench-history-secret-0123456789abcdef";

async function sessionCookie(sql: postgres.Sql, email: string): Promise<string> {
  const [user] = await sql<{ id: string; name: string }[]>`select id, name from users where email = ${email}`;
  if (!user) throw new Error(`no user ${email}`);
  // A live user_sessions row, as sign-in makes: the cookie names it and every request checks it.
  const [session] = await sql<{ id: string }[]>`insert into user_sessions (user_id, expires_at, user_agent) values (${user.id}, now() + interval '1 day', 'bench') returning id`;
  const token = await encode({ token: { sub: user.id, sid: session!.id, name: user.name, email }, secret, salt: "authjs.session-token" });
  return `authjs.session-token=${token}`;
}

/** What each kind of response must hold: a history page, a Queues page, or the Queues poll's JSON. */
const MARKERS = { history: 'data-testid="history-count"', queues: 'data-testid="queue-', poll: '"rows":[' } as const;
type Kind = keyof typeof MARKERS;
const kindOf = (url: string): Kind => (url.startsWith("/api/") ? "poll" : url.includes("queues") ? "queues" : "history");

async function get(base: string, url: string, cookie: string): Promise<{ ms: number; html: string }> {
  const t0 = performance.now();
  const response = await fetch(base + url, { headers: { cookie }, redirect: "manual" });
  const html = await response.text();
  const ms = performance.now() - t0;
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  if (!html.includes(MARKERS[kindOf(url)])) throw new Error(`${url}: not a ${kindOf(url)} response`);
  return { ms, html };
}

const nextHref = (html: string) => /href="([^"]+)"/.exec(/<a[^>]*rel="next"[^>]*>/.exec(html)?.[0] ?? "")?.[1]?.replace(/&amp;/g, "&") ?? null;
const rowsOf = (html: string) => html.split('data-testid="history-row"').length - 1 || html.split('data-testid="queue-pending"').length - 1 || html.split('"jobType":').length - 1;
const countOf = (html: string) => /data-testid="history-count">([^<]*)/.exec(html)?.[1] ?? "—";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** BENCH_SCREENSHOTS=<dir>: the views at desktop and phone widths, on the 10M-run data. */
async function screenshots(base: string, cookie: string, dir: string, urls: string[]): Promise<void> {
  const { chromium } = await import("@playwright/test");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const [name, value] = cookie.split("=") as [string, string];
      await context.addCookies([{ name, value, url: base }]);
      const page = await context.newPage();
      for (const [i, u] of urls.entries()) {
        await page.goto(base + u);
        await page.screenshot({ path: path.join(dir, `history-${i}-${width}.png`), fullPage: true });
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const { cluster, url } = await startHistoryBenchDb(root);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  let web: ReturnType<typeof startProcess> | null = null;
  // Ctrl-C stops the web server and Postgres too, rather than leaving them running.
  const interrupt = async () => {
    if (web) await stopProcess(web, 5000);
    await cluster.stop();
    process.exit(130);
  };
  process.once("SIGINT", () => void interrupt());
  process.once("SIGTERM", () => void interrupt());
  try {
    await seedHistory(url);
    const [rel] = await sql<{ n: string }[]>`select reltuples::bigint as n from pg_class where relname = 'job_runs'`;
    console.log(`job_runs: ~${Number(rel?.n).toLocaleString("en")} rows`);
    if (ensureBuilt(root)) console.log("built the dashboard");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    web = startProcess("web", path.join(root, "node_modules", ".bin", "next"), ["start", "-p", String(port), "-H", "127.0.0.1"], webEnv({
      ...process.env,
      DATABASE_URL: url,
      AUTH_SECRET: secret,
      AUTH_TRUST_HOST: "true",
      NEXT_TELEMETRY_DISABLED: "1",
      RUNBOARD_URL: base,
    }));
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/sign-in`)).status < 500) break;
      } catch {
        if (i > 240) throw new Error("web did not start");
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    const admin = await sessionCookie(sql, BENCH_ADMIN);
    const support = await sessionCookie(sql, BENCH_SUPPORT);
    const [adminRow] = await sql<{ id: string }[]>`select id from users where email = ${BENCH_ADMIN}`;
    const [file] = await sql<{ resource_id: string }[]>`
      select resource_id from job_runs where project_id = (select id from projects where slug = ${BIG_PROJECT}) and resource_type = 'file' order by queued_at desc limit 1 offset 5000`;
    const [p1] = await sql<{ slug: string }[]>`select slug from projects where slug = 'bench-p1'`;
    const p = `/projects/${BIG_PROJECT}/runs`;
    const now = Date.now();
    const week = `from=${new Date(now - 14 * 86400e3).toISOString()}&to=${new Date(now - 7 * 86400e3).toISOString()}`;

    // Page 50 of the big project, reached by following "Next" links.
    let page50 = p;
    for (let i = 1; i < 50; i++) {
      const next = nextHref((await get(base, page50, admin)).html);
      if (!next) {
        const html = (await get(base, page50, admin)).html;
        throw new Error(`no next link on page ${i}: ${html.slice(html.indexOf("history-count") - 200, html.indexOf("history-count") + 3000)}`);
      }
      page50 = next;
    }

    const cases: [string, string, string][] = [
      ["first page (bench-p0, ~1M runs)", p, admin],
      ["page 50 via cursor chaining", page50, admin],
      ["status = failed", `${p}?status=failed`, admin],
      ["status = dead_letter (1%)", `${p}?status=dead_letter`, admin],
      ["status = running (active)", `${p}?status=running`, admin],
      ["job type = runs_export", `${p}?jobType=runs_export`, admin],
      ["triggered by = me", `${p}?triggeredBy=me`, admin],
      ["triggered by = another user", `${p}?triggeredBy=${adminRow ? (await sql<{ id: string }[]>`select id from users where email = 'bench-u3@runboard.local'`)[0]!.id : ""}`, admin],
      ["time range (a week, 2 weeks ago)", `${p}?${week}`, admin],
      ["resource (one file)", `${p}?resourceType=file&resourceId=${file!.resource_id}`, admin],
      ["sort oldest first", `${p}?sort=queued_asc`, admin],
      ["failed + contacts_import + me", `${p}?status=failed&jobType=contacts_import&triggeredBy=me`, admin],
      ["dead_letter + failed + range", `${p}?status=dead_letter&status=failed&${week}`, admin],
      ["search hit: \"timed out\"", `${p}?q=timed+out`, admin],
      ["search hit + status failed", `${p}?q=deadlock&status=failed`, admin],
      ["search miss: \"zzqx-nothing\"", `${p}?q=zzqx-nothing`, admin],
      ["search payload: a file id", `${p}?q=${file!.resource_id.slice(0, 13)}`, admin],
      ["small project first page", `/projects/${p1!.slug}/runs`, admin],
      ["monitor (5 projects)", "/runs", admin],
      ["monitor: status = failed", "/runs?status=failed", admin],
      ["monitor: search \"timed out\"", "/runs?q=timed+out", admin],
      ["monitor, support (all 1000 projects)", "/runs", support],
      ["monitor, support: dead_letter", "/runs?status=dead_letter", support],
      ["monitor, support: search miss", "/runs?q=zzqx-nothing", support],
      // The Queues view (lib/jobs/queue-stats.ts): the page, and the poll it repeats while open.
      ["queues page (bench-p0)", `/projects/${BIG_PROJECT}/queues`, admin],
      ["queues poll (bench-p0, JSON)", `/api/projects/${BIG_PROJECT}/queues`, admin],
      ["queues page, instance (support)", "/queues", support],
      ["queues poll, instance (JSON)", "/api/queues", support],
    ];

    const results: { name: string; p50: number; p95: number; rows: number; count: string }[] = [];
    // BENCH_ONLY="search,monitor": only the views whose name contains one of these.
    const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
    for (const [name, u, cookie] of cases.filter(([name]) => !only || only.some((o) => name.includes(o)))) {
      const first = await get(base, u, cookie);
      for (let i = 0; i < 2; i++) await get(base, u, cookie);
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) times.push((await get(base, u, cookie)).ms);
      times.sort((a, b) => a - b);
      results.push({ name, p50: percentile(times, 50), p95: percentile(times, 95), rows: rowsOf(first.html), count: countOf(first.html) });
      const r = results.at(-1)!;
      console.log(`${name.padEnd(40)} p50 ${r.p50.toFixed(1).padStart(6)} ms  p95 ${r.p95.toFixed(1).padStart(6)} ms  ${r.rows} rows, ${r.count}`);
    }
    console.log(`\n| view | p50 ms | p95 ms | rows | count shown |\n| --- | --- | --- | --- | --- |`);
    for (const r of results) console.log(`| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.rows} | ${r.count.trim()} |`);
    if (process.env.BENCH_SCREENSHOTS) await screenshots(base, admin, process.env.BENCH_SCREENSHOTS, [p, `${p}?status=failed&q=timed+out`, "/runs"]);
    const over = results.filter((r) => r.p95 > TARGET_P95_MS);
    console.log(over.length ? `\n${over.length} view(s) over the ${TARGET_P95_MS} ms p95 target` : `\nevery view within the ${TARGET_P95_MS} ms p95 target`);
  } finally {
    if (web) await stopProcess(web, 5000);
    await sql.end();
    await cluster.stop();
  }
}

await main();
