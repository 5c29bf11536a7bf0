import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

/**
 * `runboard new job` for real: the CLI runs (bin/runboard.mjs) in a copy of this checkout, and what
 * it writes must pass lint, typecheck, and its own generated test against real Postgres.
 */
const root = path.resolve(import.meta.dirname, "../..");
const SKIP = new Set(["node_modules", ".git", ".next", ".data", "dist", "test-results", "playwright-report", "tsconfig.tsbuildinfo"]);
let copy: string;

type Ran = { code: number; stdout: string; stderr: string };

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: copy, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const runboard = (...args: string[]) => run(process.execPath, [path.join(copy, "bin", "runboard.mjs"), ...args]);
const bin = (name: string) => path.join(copy, "node_modules", ".bin", name);
/** jobs/ as it stands: names and contents, to prove a refusal wrote nothing. */
const snapshot = () => readdirSync(path.join(copy, "jobs")).sort().map((f) => `${f}\n${readFileSync(path.join(copy, "jobs", f), "utf8")}`);

beforeAll(() => {
  copy = mkdtempSync(path.join(os.tmpdir(), "runboard-new-job-"));
  cpSync(root, copy, { recursive: true, filter: (src) => !SKIP.has(path.relative(root, src).split(path.sep)[0]!) });
  symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"), "dir");
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe("runboard new job", () => {
  test("refuses bad names, taken names and existing files, writing nothing", async () => {
    const before = snapshot();
    // Each refusal as the CLI gives it (tests/unit/new-job.test.ts covers every rule on names).
    const cases: [string[], RegExp][] = [
      [["Sync Invoices"], /"Sync Invoices" is not a job name: .*e\.g\. sync-invoices\./],
      [["contacts-import"], /jobs\/contacts-import\.ts, jobs\/contacts-import\.handler\.ts.* already exist: pick another name/],
      // A system job: no file in jobs/, but the name is taken.
      [["partition-creation"], /A job type named partition_creation already exists/],
      [["a", "b"], /One name at a time/],
    ];
    for (const [args, message] of cases) {
      const result = await runboard("new", "job", ...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(snapshot()).toEqual(before);
  }, 120_000);

  test("scaffolds a job type whose files pass lint, typecheck and their own test", async () => {
    const made = await runboard("new", "job", "sync-invoices", "--label", "Sync invoices from Billing");
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('Created job type sync_invoices ("Sync invoices from Billing")');
    expect(made.stdout).toContain("npx vitest run jobs/sync-invoices.test.ts");
    for (const f of ["sync-invoices.ts", "sync-invoices.handler.ts", "sync-invoices.test.ts"]) expect(existsSync(path.join(copy, "jobs", f))).toBe(true);
    const index = readFileSync(path.join(copy, "jobs", "index.ts"), "utf8");
    expect(index).toContain('import syncInvoices from "./sync-invoices";');
    expect(index).toMatch(/export const JOBS = \[[^\]]*\bsyncInvoices\b[^\]]*\] as const;/);

    // The catalog now knows it: a second scaffold of the same name is refused.
    expect((await runboard("new", "job", "sync_invoices")).stderr).toMatch(/already exist/);

    const files = ["jobs/sync-invoices.ts", "jobs/sync-invoices.handler.ts", "jobs/sync-invoices.test.ts", "jobs/index.ts"];
    const lint = await run(bin("eslint"), ["--max-warnings", "0", ...files]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);

    // Typecheck the team's jobs folder and everything it imports (the engine, the test helper).
    writeFileSync(path.join(copy, "tsconfig.jobs.json"), JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { incremental: false, plugins: [] }, include: ["jobs/**/*.ts", "tests/support/*.ts"] }));
    const typecheck = await run(bin("tsc"), ["--noEmit", "-p", "tsconfig.jobs.json"]);
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);

    const generated = await run(bin("vitest"), ["run", "jobs/sync-invoices.test.ts"], { ...process.env, RUNBOARD_TEST_PG_URL: inject("pgAdminUrl") });
    expect(generated.code, generated.stdout + generated.stderr).toBe(0);
    expect(generated.stdout).toMatch(/3 passed/);
  }, 400_000);
});
