/**
 * `npm test`: lint, typecheck, unit + integration tests (vitest) against a real embedded Postgres,
 * Playwright e2e in Chromium against a real web + worker, and fault tests (whole installs killed
 * and cut off from Postgres) and the short chaos run. Ends with one line CI reads: `N passed, N failed`.
 * `npm test -- unit`, `npm test -- e2e [spec filter]` or `npm test -- faults` or `npm test -- chaos` runs one part.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createDatabase } from "@/lib/db/client";
import { ensureBuilt } from "./lib/build-state";
import { subscriptionSyncE2eEnv } from "./lib/e2e-subscriptions";
import { ensureWorkerBundle } from "./lib/worker-bundle";
import { freePort, type EmbeddedCluster } from "./lib/embedded-pg";
import { startProcess, stopProcess, type Managed } from "./lib/processes";
import { seedDemo } from "./lib/seed";
import { createDatabaseFromTemplate, startTestCluster } from "./lib/test-cluster";
import { webEnv } from "./lib/web-env";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
mkdirSync(dataDir, { recursive: true });

const only = process.argv[2];
const want = (part: "static" | "unit" | "e2e" | "faults" | "chaos") => !only || only === part;
const tally = { passed: 0, failed: 0, skipped: 0 };
/** Names of what failed, repeated just above the summary line: CI keeps only the tail of the log. */
const failures: string[] = [];
const children: Managed[] = [];
let cluster: EmbeddedCluster | null = null;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

function section(title: string): void {
  console.log(`\n━━ ${title} ━━`);
}

/** Lint and typecheck count as one test each: they pass or fail as a whole. */
async function staticChecks(): Promise<void> {
  for (const [name, script] of [
    ["lint", "lint"],
    ["typecheck", "typecheck"],
  ] as const) {
    section(name);
    const code = await run("npm", ["run", "--silent", script]);
    if (code === 0) tally.passed++;
    else {
      tally.failed++;
      failures.push(name);
      console.log(`✗ ${name} failed`);
    }
  }
}

type VitestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[];
};

function firstLine(text: string | undefined): string {
  return (text ?? "").replace(/\u001b\[[0-9;]*m/g, "").split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 300) ?? "";
}

async function vitest(adminUrl: string | null, config?: string): Promise<void> {
  const report = path.join(dataDir, "vitest.json");
  rmSync(report, { force: true });
  const args = ["run", ...(config ? ["--config", config] : []), "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  const code = await run(bin("vitest"), args, adminUrl ? { ...process.env, RUNBOARD_TEST_PG_URL: adminUrl } : process.env);
  if (!existsSync(report)) {
    tally.failed++;
    failures.push(`vitest produced no report (exit ${code})`);
    console.log(`✗ vitest produced no report (exit ${code})`);
    return;
  }
  const r = JSON.parse(readFileSync(report, "utf8")) as VitestReport;
  tally.passed += r.numPassedTests;
  tally.failed += r.numFailedTests;
  tally.skipped += r.numPendingTests + r.numTodoTests;
  for (const file of r.testResults) {
    const where = path.relative(root, file.name);
    for (const t of file.assertionResults) {
      if (t.status === "failed") failures.push(`${where} › ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    }
    if (file.status === "failed" && file.assertionResults.every((t) => t.status !== "failed")) failures.push(`${where}: ${firstLine(file.message)}`);
  }
  // A suite that failed to load has no failed tests but is still a failure.
  if (code !== 0 && r.numFailedTests === 0) {
    tally.failed++;
    failures.push(`vitest exited ${code} with no failed test`);
  }
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000}s`);
}

type PlaywrightSuite = {
  title: string;
  file?: string;
  specs?: { title: string; line: number; tests: { status: string; results: { error?: { message?: string } }[] }[] }[];
  suites?: PlaywrightSuite[];
};
type PlaywrightReport = { stats: { expected: number; unexpected: number; flaky: number; skipped: number }; suites: PlaywrightSuite[] };

function playwrightFailures(suites: PlaywrightSuite[], file = "", titles: string[] = []): string[] {
  return suites.flatMap((suite) => {
    const where = suite.file ?? file;
    const trail = suite.file ? [] : [...titles, suite.title];
    const own = (suite.specs ?? []).flatMap((spec) =>
      spec.tests
        .filter((t) => t.status === "unexpected")
        .map((t) => `e2e/${where}:${spec.line} › ${[...trail, spec.title].join(" › ")}: ${firstLine(t.results.at(-1)?.error?.message)}`),
    );
    return [...own, ...playwrightFailures(suite.suites ?? [], where, trail)];
  });
}

async function e2e(adminUrl: string): Promise<void> {
  section("build");
  if (!ensureBuilt(root)) console.log("Sources unchanged since the last build.");
  // e2e/external-worker.spec.ts starts a service that imports runboard/worker.
  if (await ensureWorkerBundle(root)) console.log("Built the worker entry (dist/worker.mjs).");

  section("e2e (Playwright, Chromium)");
  const databaseUrl = await createDatabaseFromTemplate(adminUrl, `rb_e2e_${Date.now()}`);
  const database = createDatabase(databaseUrl, { max: 1 });
  await seedDemo(database.db);
  await database.close();

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: "e2e-secret-not-for-production-0123456789",
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    RUNBOARD_URL: baseUrl,
    // Faster bookkeeping so tests see heartbeats and cancels in seconds.
    HEARTBEAT_SECONDS: "2",
    PROGRESS_INTERVAL_MS: "250",
    CANCEL_POLL_MS: "250",
    // History counts are exact within a time budget; a loaded CI box should not turn them into estimates.
    HISTORY_COUNT_BUDGET_MS: "1000",
    // Searches never ask the trigram index here and read on in steps of 2,500 runs, so
    // e2e/history-search-limited.spec.ts sees the bounded read (integration tests cover the index).
    HISTORY_SEARCH_BUDGET_MS: "0",
    HISTORY_SEARCH_DEEP: "2500",
    // e2e/operations.spec.ts and e2e/metrics-unauthorized.spec.ts scrape /api/metrics with it.
    METRICS_TOKEN: "e2e-metrics-token-0123456789",
    ...subscriptionSyncE2eEnv(await freePort()),
  };
  // e2e/webhooks.spec.ts runs its receiver on this port; the worker may call it (and only it) besides the provider.
  env.E2E_WEBHOOK_PORT = String(await freePort());
  env.OUTBOUND_ALLOW_HOSTS = `${env.OUTBOUND_ALLOW_HOSTS},127.0.0.1:${env.E2E_WEBHOOK_PORT}`;
  children.push(startProcess("web", bin("next"), ["start", "-p", String(port), "-H", "127.0.0.1"], webEnv(env)));
  children.push(startProcess("worker", process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], env));
  await waitForHttp(`${baseUrl}/sign-in`, 60_000);

  const report = path.join(dataDir, "playwright.json");
  rmSync(report, { force: true });
  const code = await run(bin("playwright"), ["test", ...process.argv.slice(3)], { ...env, E2E_BASE_URL: baseUrl, E2E_DATABASE_URL: databaseUrl });
  await Promise.all(children.splice(0).map((c) => stopProcess(c, 10_000)));
  if (!existsSync(report)) {
    tally.failed++;
    failures.push(`Playwright produced no report (exit ${code})`);
    console.log(`✗ Playwright produced no report (exit ${code})`);
    return;
  }
  const { stats, suites } = JSON.parse(readFileSync(report, "utf8")) as PlaywrightReport;
  failures.push(...playwrightFailures(suites));
  tally.passed += stats.expected + stats.flaky;
  tally.failed += stats.unexpected;
  tally.skipped += stats.skipped;
  if (code !== 0 && stats.unexpected === 0) {
    tally.failed++;
    failures.push(`Playwright exited ${code} with no failed test`);
  }
}

async function main(): Promise<void> {
  if (want("static")) await staticChecks();
  if (want("unit") || want("e2e")) {
    section("embedded Postgres for tests");
    cluster = await startTestCluster(root);
    const adminUrl = cluster.url("postgres");
    if (want("unit")) {
      section("unit + integration (vitest, real Postgres and pg-boss)");
      await vitest(adminUrl);
    }
    if (want("e2e")) await e2e(adminUrl);
  }
  if (want("faults")) {
    // Each fault test starts its own Postgres (it stops and restarts it) on the current build.
    section("faults (supervisor, Postgres outage)");
    if (!want("e2e") && ensureBuilt(root)) console.log("Built the dashboard.");
    await vitest(null, "vitest.faults.config.ts");
  }
  if (want("chaos")) await chaos();
}

/** The short chaos run: each of its "wrong" columns counts as one test (it must be zero). */
async function chaos(): Promise<void> {
  section("chaos, short (bench/chaos.ts --short: worker SIGKILL, same-name workers, Postgres restart, cancel races)");
  const report = path.join(dataDir, "chaos-short.json");
  rmSync(report, { force: true });
  const code = await run(process.execPath, ["--import", "tsx", path.join(root, "bench", "chaos.ts"), "--short", "--json", report]);
  if (!existsSync(report)) {
    tally.failed++;
    failures.push(`the chaos run produced no figures (exit ${code})`);
    console.log(`✗ the chaos run produced no figures (exit ${code})`);
    return;
  }
  const { wrong } = JSON.parse(readFileSync(report, "utf8")) as { wrong: Record<string, number> };
  for (const [column, value] of Object.entries(wrong)) {
    if (value === 0) tally.passed++;
    else {
      tally.failed++;
      failures.push(`chaos: ${column} = ${value} (must be 0)`);
      console.log(`✗ chaos: ${column} = ${value} (must be 0)`);
    }
  }
}

async function finish(code: number): Promise<never> {
  await Promise.all(children.splice(0).map((c) => stopProcess(c, 5_000)));
  if (cluster) await cluster.stop();
  if (failures.length > 0) console.log(`\nFailed:\n${failures.map((f) => `  ✗ ${f}`).join("\n")}`);
  console.log(`\n${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ""}`);
  process.exit(code);
}

process.on("SIGINT", () => void finish(130));
process.on("SIGTERM", () => void finish(143));
main()
  .then(() => finish(tally.failed > 0 || tally.passed === 0 ? 1 : 0))
  .catch(async (error: unknown) => {
    console.error(error);
    tally.failed++;
    await finish(1);
  });
