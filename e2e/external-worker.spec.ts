import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import type postgres from "postgres";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { bearer, insertApiKey, type TestKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { root, startExternalService, TYPE, type ExternalService } from "./support/external-service";

// Issue 13: a job type defined only in another service (e2e/support/external-service.ts), run
// from the dashboard, the API and the CLI.

let service: ExternalService;
let sql: postgres.Sql;
let key: TestKey;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  service = await startExternalService();
  sql = e2eSql();
  key = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, name: "external worker e2e" });
});

test.afterAll(async () => {
  await sql?.end();
  await service?.stop();
});

async function runOf(id: string) {
  const [row] = await sql<{ status: string; result: { greeting?: string; servedBy?: string } | null; worker_id: string | null }[]>`select status, result, worker_id from job_runs where id = ${id}`;
  return row;
}

const countRuns = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where job_type = ${TYPE}`)[0]!.n;

test("the registered type shows on the jobs page with a form from its schema; a run completes on the service's worker", async ({ browser }) => {
  const context = await browser.newContext({ storageState: storageState("admin") });
  const page = await context.newPage();
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId(`job-type-${TYPE}`);
  await expect(card.getByRole("heading", { name: "Send a greeting" })).toBeVisible();
  await expect(card.getByText("Defined in acme-service")).toBeVisible();
  await expect(card.getByTestId("registration")).toContainText("Registered by acme-service");
  await expect(card.getByLabel("Times")).toHaveValue("2");
  await expect(card.getByLabel("Tone")).toHaveValue("warm");
  // For review: the card among Runboard's own, wide and narrow.
  await card.screenshot({ path: ".data/screenshots/external-worker-card-1280.png" });
  await page.setViewportSize({ width: 390, height: 844 });
  await card.screenshot({ path: ".data/screenshots/external-worker-card-390.png" });
  await page.setViewportSize({ width: 1280, height: 720 });

  // Fields in the schema's order, with its limits; the server validates against the registered
  // schema before anything is created (a name over its maxLength, which the form does not check).
  await expect(card.getByRole("textbox").or(card.getByRole("spinbutton")).or(card.getByRole("combobox"))).toHaveCount(3);
  await expect(card.locator("label").nth(0)).toContainText("Who to greet");
  await expect(card.locator("label").nth(1)).toContainText("Times");
  await expect(card.locator("label").nth(2)).toContainText("Tone");
  await expect(card.getByLabel("Times")).toHaveAttribute("max", "5");
  const before = await countRuns();
  await card.getByLabel("Who to greet").fill("A".repeat(41));
  await card.getByRole("button", { name: "Run" }).click();
  await expect(card.getByText(/Too big|<=40/)).toBeVisible();
  expect(await countRuns()).toBe(before);

  await card.getByLabel("Who to greet").fill("Ada");
  await card.getByLabel("Times").fill("3");
  await card.getByLabel("Tone").selectOption("formal");
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  const runId = page.url().split("/").pop()!;
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("Good day, Ada! Good day, Ada! Good day, Ada!")).toBeVisible();
  // Run by the service's worker process (the repository's own worker does not serve the type).
  const run = await runOf(runId);
  expect(run!.result).toMatchObject({ servedBy: "acme-service" });
  expect(run!.worker_id).toMatch(/^acme-service:/);
  await context.close();
});

test("API: a registered type triggers and completes; a payload its schema refuses gets 422 and creates nothing", async ({ request }) => {
  const before = await countRuns();
  for (const payload of [{ name: "" }, { times: 2 }, { name: "Bo", times: 0 }, { name: "Bo", tone: "rude" }, { name: 7 }]) {
    const bad = await request.post(`/api/v1/projects/${PROJECT}/runs`, { headers: bearer(key.key), data: { jobType: TYPE, payload } });
    expect(bad.status(), JSON.stringify(payload)).toBe(422);
    const body = await bad.json();
    expect(Object.keys(body.error.fieldErrors ?? {}).some((k) => k.startsWith("payload.")), JSON.stringify(body)).toBe(true);
  }
  expect(await countRuns()).toBe(before);

  const types = await request.get(`/api/v1/projects/${PROJECT}/job-types`, { headers: bearer(key.key) });
  const listed = (await types.json()).jobTypes.find((t: { name: string }) => t.name === TYPE);
  expect(listed.payloadSchema.properties.times).toMatchObject({ type: "integer", minimum: 1, maximum: 5, default: 2 });

  // Keys the schema does not name are dropped, as for a type in Runboard's code.
  const created = await request.post(`/api/v1/projects/${PROJECT}/runs`, { headers: bearer(key.key), data: { jobType: TYPE, payload: { name: "API", extra: "dropped" } } });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  await expect.poll(async () => (await runOf(id))?.status, { timeout: 20_000 }).toBe("completed");
  expect((await runOf(id))!.result!.greeting).toBe("Hello, API! Hello, API!");
  const [stored] = await sql<{ payload: Record<string, unknown> }[]>`select payload from job_runs where id = ${id}`;
  expect(stored!.payload).toEqual({ name: "API", times: 2, tone: "warm" });
});

test("CLI: `runboard jobs run` triggers the registered type and waits for its result", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "runboard-cli-"));
  try {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(root, "bin", "runboard.mjs"), ...args], {
          cwd: home,
          env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), RUNBOARD_URL: process.env.E2E_BASE_URL, RUNBOARD_API_KEY: key.key },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("exit", (code) => resolve({ code, stdout, stderr }));
      });
    const list = await run(["jobs", "list", "--project", PROJECT]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(TYPE);
    const done = await run(["jobs", "run", TYPE, "--project", PROJECT, "--payload", JSON.stringify({ name: "CLI", times: 1 }), "--wait", "--json"]);
    expect(done.code, done.stderr).toBe(0);
    const result = JSON.parse(done.stdout) as { status: string; result: { greeting: string } };
    expect(result.status).toBe("completed");
    expect(result.result.greeting).toBe("Hello, CLI!");
    const bad = await run(["jobs", "run", TYPE, "--project", PROJECT, "--payload", JSON.stringify({ name: "" })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("payload.name");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
