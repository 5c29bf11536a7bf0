import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import type postgres from "postgres";
import { ACCOUNTS } from "./support/accounts";
import { ensureProject, insertApiKey, type TestKey } from "./support/api-keys";
import { e2eSql } from "./support/db";

// `runboard` as a user runs it: the bin launcher, a real server and worker, a real key.
const root = path.resolve(import.meta.dirname, "..");
const CLI_PROJECT = "acme-cli";
const baseUrl = process.env.E2E_BASE_URL!;

let sql: postgres.Sql;
let key: TestKey;
let home: string;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  sql = e2eSql();
  await ensureProject(sql, "acme", CLI_PROJECT);
  key = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, name: "cli e2e" });
  home = mkdtempSync(path.join(os.tmpdir(), "runboard-cli-"));
});

test.afterAll(async () => {
  await sql.end();
  rmSync(home, { recursive: true, force: true });
});

type Result = { code: number | null; stdout: string; stderr: string };

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "bin", "runboard.mjs"), ...args], {
      cwd: home,
      // Nothing inherited that could log it in by accident: only what each test passes.
      env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const authEnv = () => ({ RUNBOARD_URL: baseUrl, RUNBOARD_API_KEY: key.key });

test("--help on every command, usage errors exit 2, no login exits 3", async () => {
  // Thirteen CLI processes, each starting tsx (about a second of CPU): on two loaded cores that
  // alone can pass the default minute.
  test.setTimeout(180_000);
  const main = await cli(["--help"]);
  expect(main.code).toBe(0);
  expect(main.stdout).toContain("jobs run <type>");
  expect(main.stdout).toContain("12  run cancelled");
  for (const command of [["login"], ["projects", "list"], ["jobs", "list"], ["jobs", "run"], ["runs", "list"], ["runs", "show"], ["runs", "cancel"], ["runs", "retry"], ["system", "list"]]) {
    const help = await cli([...command, "--help"]);
    expect(help.code, command.join(" ")).toBe(0);
    expect(help.stdout, command.join(" ")).toContain("Usage: runboard");
  }
  expect((await cli(["jobs", "fly"])).code).toBe(2);
  expect((await cli(["jobs", "run", "demo_paced", "--bogus"], authEnv())).code).toBe(2);
  expect((await cli(["jobs", "run", "demo_paced", "--project", CLI_PROJECT, "--payload", "{nope"], authEnv())).code).toBe(2);
  const notLoggedIn = await cli(["projects", "list"]);
  expect(notLoggedIn.code).toBe(3);
  expect(notLoggedIn.stderr).toContain("runboard login");
});

test("login checks the key and stores it with mode 0600; later commands use the file", async () => {
  const bad = await cli(["login", "--url", baseUrl, "--key", "rb_xxxxxxxx_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"]);
  expect(bad.code).toBe(3);
  const good = await cli(["login", "--url", baseUrl, "--key", key.key, "--project", CLI_PROJECT]);
  expect(good.code, good.stderr).toBe(0);
  expect(good.stdout).toContain("Logged in to");
  const file = path.join(home, ".config", "runboard", "config.json");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: baseUrl, apiKey: key.key, project: CLI_PROJECT });
  const projects = await cli(["projects", "list"]);
  expect(projects.code).toBe(0);
  expect(projects.stdout).toContain(CLI_PROJECT);
  const jobs = await cli(["jobs", "list", "--json"]);
  expect(jobs.code).toBe(0);
  expect((JSON.parse(jobs.stdout) as { name: string }[]).map((j) => j.name)).toContain("demo_paced");
});

test("jobs run --wait shows progress and exits 0 when the run completes", async () => {
  const payloadFile = path.join(home, "payload.json");
  writeFileSync(payloadFile, JSON.stringify({ items: 6, msPerItem: 500 }));
  const result = await cli(["jobs", "run", "demo_paced", "--project", CLI_PROJECT, "--payload", `@${payloadFile}`, "--wait"], authEnv());
  expect(result.code, result.stderr).toBe(0);
  // Not a terminal: one plain line per change, with the bar, counts and percent.
  const lines = result.stderr.split("\n").filter((l) => l.startsWith("["));
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(result.stderr).toMatch(/\[#*-*\]\s+\d+%\s+\d\/6\s+running/);
  expect(lines.at(-1)).toMatch(/\[#+\]\s+100%\s+6\/6\s+completed/);
  expect(result.stdout).toMatch(/demo_paced {2}completed/);

  const list = await cli(["runs", "list", "--project", CLI_PROJECT, "--status", "completed", "--json"], authEnv());
  expect(list.code).toBe(0);
  expect((JSON.parse(list.stdout) as { runs: unknown[] }).runs.length).toBeGreaterThanOrEqual(1);
});

test("409 prints the running run and exits 5; cancel it and waiting on it exits 12", async () => {
  const started = await cli(["jobs", "run", "demo_paced", "--project", CLI_PROJECT, "--payload", '{"items":300,"msPerItem":100}', "--json"], authEnv());
  expect(started.code, started.stderr).toBe(0);
  const runId = (JSON.parse(started.stdout) as { id: string }).id;

  const conflict = await cli(["jobs", "run", "demo_paced", "--project", CLI_PROJECT, "--wait"], authEnv());
  expect(conflict.code).toBe(5);
  expect(conflict.stderr).toContain(`already running in ${CLI_PROJECT}: run ${runId}`);

  const cancel = await cli(["runs", "cancel", runId, "--project", CLI_PROJECT], authEnv());
  expect(cancel.code, cancel.stderr).toBe(0);
  const waited = await cli(["runs", "show", runId, "--project", CLI_PROJECT, "--wait"], authEnv());
  expect(waited.code).toBe(12);
  expect(waited.stdout).toContain("cancelled");

  const missing = await cli(["runs", "show", "00000000-0000-4000-8000-000000000000", "--project", CLI_PROJECT], authEnv());
  expect(missing.code).toBe(4);
  const invalid = await cli(["jobs", "run", "demo_paced", "--project", CLI_PROJECT, "--payload", '{"items":0}'], authEnv());
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain("payload.items");
});

test("a failed run exits 10 and retry re-drives it", async () => {
  const projectId = (await sql<{ id: string }[]>`select id from projects where slug = ${CLI_PROJECT}`)[0]!.id;
  const [run] = await sql<{ id: string }[]>`
    insert into job_runs (id, team_id, project_id, job_type, status, attempt_count, max_attempts, payload, error, exclusive_key, started_at, completed_at)
    select gen_random_uuid(), team_id, id, 'demo_paced', 'failed', 1, 1, ${sql.json({ items: 2, msPerItem: 10 })},
      ${sql.json({ message: "boom", type: "application", source: "handler", subType: "planted", severity: 2, retryable: false })}, ${`${projectId}:demo_paced`}, now(), now()
    from projects where id = ${projectId} returning id`;
  const failed = await cli(["runs", "show", run!.id, "--project", CLI_PROJECT, "--wait"], authEnv());
  expect(failed.code).toBe(10);
  expect(failed.stdout).toContain("error application/planted: boom");
  const retried = await cli(["runs", "retry", run!.id, "--project", CLI_PROJECT, "--wait"], authEnv());
  expect(retried.code, retried.stderr).toBe(0);
  expect(retried.stdout).toContain("completed");
});

test("operator commands run locally against DATABASE_URL", async () => {
  const list = await cli(["system", "list"], { DATABASE_URL: process.env.E2E_DATABASE_URL });
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toContain("partition_creation");
  expect(list.stdout).toContain("0 4 * * *");
  const run = await cli(["system", "run", "partition_creation", "--wait"], { DATABASE_URL: process.env.E2E_DATABASE_URL });
  expect(run.code, run.stderr + run.stdout).toBe(0);
  expect(run.stdout).toMatch(/partition_creation {2}completed/);
});
