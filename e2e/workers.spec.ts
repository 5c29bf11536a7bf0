import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { expect, test } from "./support/test";
import type postgres from "postgres";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/users";

const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };
const root = path.resolve(import.meta.dirname, "..");

let sql: postgres.Sql;
let worker: ChildProcess | null = null;
test.beforeAll(() => {
  sql = e2eSql();
});
test.afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
  await sql.end();
});

/**
 * A worker of this spec's own (the suite's shared worker keeps serving the other specs), serving
 * one job type, with the suite's 2 s heartbeat: it reads commands within 1 s.
 */
function startOwnWorker(name: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL, WORKER_NAME: name, WORKER_JOB_TYPES: "runs_export", HEARTBEAT_SECONDS: "2" },
    stdio: "ignore",
  });
  return child;
}

test("the instance owner sees a worker and its job types, quiets it, resumes it and stops it; each change is audited", async ({ browser }) => {
  test.setTimeout(150_000);
  const name = `e2e-worker-${randomBytes(3).toString("hex")}`;
  worker = startOwnWorker(name);
  const exited = new Promise<number | null>((resolve) => worker!.once("exit", (code) => resolve(code)));

  const owner = await signedIn(browser, OWNER.email, OWNER.password);
  const page = await owner.newPage();
  await page.goto("/projects");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workers" }).click();
  await expect(page.getByRole("heading", { name: "Workers" })).toBeVisible();
  await expect(page.getByText(/reads these at its next liveness ping: within 1 s/)).toBeVisible();

  // The page refreshes itself: the worker appears once it has registered (a cold start takes a while).
  const row = page.getByTestId("worker-row").filter({ hasText: name });
  await expect(row).toBeVisible({ timeout: 90_000 });
  await expect(row.getByTestId("worker-state")).toHaveText("live");
  await expect(row.getByRole("list", { name: `Job types ${name} serves` })).toHaveText("Export run history");
  await expect(row).toContainText(`pid ${worker.pid}`);
  // The suite's own worker is there too, serving every job type.
  await expect(page.getByTestId("worker-row").filter({ hasText: "Demo: paced run" }).first()).toBeVisible();

  await row.getByRole("button", { name: `Quiet ${name}` }).click();
  await expect(row.getByRole("status")).toHaveText(`${name} will stop taking new runs within 1 s and finish the ones it holds.`);
  await expect(row.getByTestId("worker-state")).toHaveText("quiet", { timeout: 15_000 });

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `.data/screenshots/workers-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  await row.getByRole("button", { name: `Resume ${name}` }).click();
  await expect(row.getByTestId("worker-state")).toHaveText("live", { timeout: 15_000 });

  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: `Stop ${name}` }).click();
  // Its process exits by itself (graceful stop), and the page says it stopped, not that it was lost.
  expect(await exited).toBe(0);
  await expect(row.getByTestId("worker-state")).toHaveText("stopped", { timeout: 15_000 });
  await expect(row.getByRole("button")).toHaveCount(0);

  const audit = await sql<{ action: string; actor: string }[]>`
    select a.action, u.email as actor from audit_events a join users u on u.id = a.actor_user_id
    where a.action like 'worker.%' and a.details->>'name' = ${name} order by a.created_at`;
  expect(audit).toEqual(["worker.quieted", "worker.resumed", "worker.stop_requested"].map((action) => ({ action, actor: OWNER.email })));
  await owner.close();
});
