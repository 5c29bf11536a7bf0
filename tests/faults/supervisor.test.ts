/**
 * `npm start` under faults, end to end: the real supervisor (scripts/start.ts) on its own data
 * directory and ports, with its embedded Postgres, `next start` on the current build and the real
 * worker. A worker killed with SIGKILL comes back while the web keeps answering; while Postgres
 * is stopped the API, the run poll and the health route answer 503 at once and a dashboard page
 * says the database is unavailable, and all recover by themselves when it is back; Ctrl-C then
 * stops the Postgres that was restarted underneath the supervisor.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "@playwright/test";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alive, freePort, postmasterOf, startEmbeddedPostgres, stopPostmaster } from "@/scripts/lib/embedded-pg";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "runboard-supervisor-"));
const pgDir = path.join(dataDir, "pg");
let webPort = 0;
let pgPort = 0;
let supervisor: ChildProcess;
let output = "";
let browser: Browser | null = null;
let apiKey = "";

const base = () => `http://127.0.0.1:${webPort}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(fn)
      .catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; supervisor output:\n${output.slice(-3000)}`);
    await sleep(200);
  }
}

function childPid(name: string): number | null {
  const entries = JSON.parse(readFileSync(path.join(dataDir, "children.json"), "utf8")) as { name: string; pid: number }[];
  return entries.find((e) => e.name === name)?.pid ?? null;
}

/** Every process (postmaster and backends) whose working directory is this data directory. */
function postgresProcessesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** A fetch that must answer within 5 s: before, an outage made requests hang for 10 s or more. */
const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(5_000) });

beforeAll(async () => {
  [webPort, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, RUNBOARD_DATA_DIR: dataDir, PORT: String(webPort), RUNBOARD_PG_PORT: String(pgPort), AUTH_SECRET: "faults-secret-not-for-production-0123456789" };
  delete env.DATABASE_URL;
  supervisor = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  supervisor.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  supervisor.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await until("the worker to be ready", () => /\[worker\] .* ready/.test(output), 240_000);
  await until("the web to answer", async () => (await get(`${base()}/sign-in`)).status === 200, 60_000);

  // An API key for the demo admin, stored as the dashboard stores one (only its sha256).
  const sql = postgres(`postgres://postgres:postgres@127.0.0.1:${pgPort}/runboard`, { max: 1, onnotice: () => undefined });
  try {
    apiKey = `rb_faults00_${randomBytes(32).toString("base64url")}`;
    await sql`insert into api_keys (team_id, name, prefix, key_hash, scopes, created_by)
      select t.id, 'faults', 'faults00', ${createHash("sha256").update(apiKey).digest("hex")}, array['jobs:read', 'jobs:write'], u.id
      from teams t, users u where t.slug = 'acme' and u.email = 'admin@runboard.local'`;
  } finally {
    await sql.end();
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill("SIGINT");
    await new Promise((r) => supervisor.once("exit", r));
  }
  await stopPostmaster(pgDir, 5_000);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("npm start when one part dies", () => {
  test("a worker killed with SIGKILL is restarted (logged with its signal) while the web keeps answering", async () => {
    const before = childPid("worker");
    expect(before).toBeTruthy();
    const readyBefore = output.match(/\[worker\] .* ready/g)?.length ?? 0;
    const statuses: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        statuses.push(await get(`${base()}/api/health`).then((r) => r.status, () => 0));
        await sleep(200);
      }
    })();

    process.kill(before!, "SIGKILL");
    await until("the supervisor to log the crash", () => new RegExp(`worker \\(pid ${before}\\) exited with signal SIGKILL`).test(output));
    await until("a new worker to be ready", () => (output.match(/\[worker\] .* ready/g)?.length ?? 0) > readyBefore, 60_000);
    polling = false;
    await poller;

    const after = childPid("worker");
    expect(after).not.toBe(before);
    expect(alive(after!)).toBe(true);
    expect(output).toMatch(/worker restarted \(pid \d+, restart 1\)/);
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(supervisor.exitCode).toBeNull();
  }, 90_000);

  test("while Postgres is stopped: 503 with Retry-After at once, a clear dashboard page, and recovery without a restart", async () => {
    const auth = { Authorization: `Bearer ${apiKey}` };
    expect((await get(`${base()}/api/v1/projects`, auth)).status).toBe(200);

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
    const context = await browser.newContext({ baseURL: base() });
    const page = await context.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill("admin@runboard.local");
    await page.getByLabel("Password").fill("runboard-admin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const webPid = childPid("web");
    // A run that outlasts the outage, watched on its page.
    const trigger = await fetch(`${base()}/api/v1/projects/acme-app/runs`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ jobType: "demo_paced", payload: { items: 200, msPerItem: 500 } }),
    });
    expect(trigger.status).toBe(201);
    const runId = ((await trigger.json()) as { id: string }).id;
    const runPage = await context.newPage();
    await runPage.goto(`/projects/acme-app/runs/${runId}`);
    await runPage.getByText("running", { exact: true }).first().waitFor();
    // It follows the run over its event stream (lib/dal/run-stream.ts), which must say the database is away.
    await runPage.locator("[data-stream=open]").waitFor();

    expect(await stopPostmaster(pgDir)).not.toBeNull();

    const api = await get(`${base()}/api/v1/projects`, auth);
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toBe("2");
    expect(await api.json()).toEqual({ error: { code: "database_unavailable", message: "Database unavailable, retrying. Try again in a few seconds." } });
    const poll = await get(`${base()}/api/projects/acme-app/runs/${crypto.randomUUID()}`, { cookie });
    expect(poll.status).toBe(503);
    expect(poll.headers.get("retry-after")).toBe("2");
    expect((await get(`${base()}/api/health`)).status).toBe(503);

    await page.goto("/projects");
    await page.getByRole("heading", { name: "Database unavailable, retrying" }).waitFor({ timeout: 15_000 });
    // The open run page keeps following and says why nothing moves.
    await runPage.getByTestId("database-down").waitFor({ timeout: 15_000 });

    // Restarted underneath the supervisor, as an operator would.
    await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, log: () => undefined });
    await until("the API to answer 200 again", async () => (await get(`${base()}/api/v1/projects`, auth)).status === 200, 20_000);
    // The page reloads itself once the database is back.
    await page.getByRole("heading", { name: "Projects" }).waitFor({ timeout: 15_000 });
    await runPage.getByTestId("database-down").waitFor({ state: "detached", timeout: 15_000 });
    expect(childPid("web")).toBe(webPid);
    expect((await fetch(`${base()}/api/v1/projects/acme-app/runs/${runId}/cancel`, { method: "POST", headers: auth })).status).toBe(200);
  }, 120_000);

  test("Ctrl-C stops web, worker and the Postgres restarted underneath the supervisor", async () => {
    const pgPid = await postmasterOf(pgDir);
    expect(pgPid).not.toBeNull();
    const web = childPid("web")!;
    const worker = childPid("worker")!;
    supervisor.kill("SIGINT");
    const code = await new Promise((r) => supervisor.once("exit", r));
    expect(code).toBe(0);
    expect(alive(pgPid!)).toBe(false);
    expect(await postmasterOf(pgDir)).toBeNull();
    expect(postgresProcessesOf(pgDir)).toEqual([]);
    expect(alive(web)).toBe(false);
    expect(alive(worker)).toBe(false);
  }, 60_000);
});
