import { allowConsoleError, expect, NOT_FOUND_PAGE, test, type Browser } from "./support/test";
import type postgres from "postgres";
import { storageState, type Role } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/users";

const AUTHZ_PROJECT = "acme-schedules-authz";
const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };

let sql: postgres.Sql;
let projectId: string;
test.beforeAll(async () => {
  sql = e2eSql();
  projectId = await ensureProject(sql, "acme", AUTHZ_PROJECT);
  // An existing schedule, so the admin's page has pause and remove buttons to capture.
  await sql`insert into project_schedules (project_id, job_type, cron, payload) values (${projectId}, 'runs_export', '0 3 1 1 *', '{"days": 30, "includeErrors": true}') on conflict do nothing`;
});
test.afterAll(async () => {
  await sql.end();
});

/** What a refused action must leave as it was: the project's schedules and its schedule audit events. */
async function footprint(): Promise<string> {
  const rows = await sql`select job_type, cron, paused_at from project_schedules where project_id = ${projectId} order by job_type`;
  const [audit] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where details->>'projectId' = ${projectId}`;
  return JSON.stringify({ rows, audit: audit!.n });
}

async function asRole(browser: Browser, role: Role) {
  const context = await browser.newContext({ storageState: storageState(role) });
  return { context, page: await context.newPage() };
}

/** The admin's real set / pause / remove requests, captured before they reach the server. */
async function captureScheduleActions(browser: Browser): Promise<Record<"save" | "pause" | "remove", CapturedAction>> {
  const { context, page } = await asRole(browser, "admin");
  await page.goto(`/projects/${AUTHZ_PROJECT}/jobs`);
  const form = page.getByRole("form", { name: "Set a schedule" });
  await form.getByLabel("Cron (UTC)").fill("* * * * *");
  const save = await captureServerAction(page, () => form.getByRole("button", { name: "Set schedule" }).click());
  // A captured (aborted) action leaves the page on its error screen: load it afresh for the next.
  await page.goto(`/projects/${AUTHZ_PROJECT}/jobs`);
  const row = page.getByTestId("schedule-runs_export");
  const pause = await captureServerAction(page, () => row.getByRole("button", { name: "Pause the Export run history schedule" }).click());
  await page.goto(`/projects/${AUTHZ_PROJECT}/jobs`);
  page.once("dialog", (dialog) => void dialog.accept());
  const remove = await captureServerAction(page, () => row.getByRole("button", { name: "Remove the Export run history schedule" }).click());
  await context.close();
  return { save, pause, remove };
}

test("a member without jobs:write sees the schedules but no controls, and direct set / pause / remove calls are refused", async ({ browser }) => {
  const actions = await captureScheduleActions(browser);
  const { context, page } = await asRole(browser, "member");
  await page.goto(`/projects/${AUTHZ_PROJECT}/jobs`);
  await expect(page.getByTestId("schedule-runs_export")).toContainText("0 3 1 1 *");
  await expect(page.getByRole("form", { name: "Set a schedule" })).toHaveCount(0);
  await expect(page.getByTestId("schedule-runs_export").getByRole("button")).toHaveCount(0);
  const before = await footprint();
  for (const action of Object.values(actions)) {
    const reply = await replayServerAction(context.request, action);
    expect(reply.text).toContain("You do not have permission to do that.");
  }
  expect(await footprint()).toBe(before);
  await context.close();
});

test("an admin of another team gets not found for the page and every schedule action", async ({ browser }) => {
  const actions = await captureScheduleActions(browser);
  const { context, page } = await asRole(browser, "outsider");
  allowConsoleError(NOT_FOUND_PAGE); // the outsider gets the 404 page
  expect((await page.goto(`/projects/${AUTHZ_PROJECT}/jobs`))?.status()).toBe(404);
  const before = await footprint();
  for (const action of Object.values(actions)) {
    const reply = await replayServerAction(context.request, action);
    expect(reply.text).toContain("Not found.");
    expect(reply.text).not.toContain("0 3 1 1 *");
  }
  expect(await footprint()).toBe(before);
  await context.close();
});

test("a tenant admin has no System page and its actions are not found; support sees it read-only and cannot act", async ({ browser }) => {
  const owner = await signedIn(browser, OWNER.email, OWNER.password);
  const ownerPage = await owner.newPage();
  await ownerPage.goto("/system");
  const pruning = ownerPage.getByTestId("system-soft_delete_cleanup");
  const pause = await captureServerAction(ownerPage, () => pruning.getByRole("button", { name: "Pause Soft-delete cleanup" }).click());
  await ownerPage.goto("/system");
  const runNow = await captureServerAction(ownerPage, () => pruning.getByRole("button", { name: "Run Soft-delete cleanup now" }).click());
  await owner.close();
  const state = async () => JSON.stringify(await sql`select paused_at from job_schedules where job_type = 'soft_delete_cleanup'`);
  const runs = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where job_type = 'soft_delete_cleanup'`)[0]!.n;
  const inBoss = async () => (await sql`select 1 from pgboss.schedule where name = 'runboard_cron' and key = 'soft_delete_cleanup'`).length;
  const before = { state: await state(), runs: await runs(), inBoss: await inBoss() };

  allowConsoleError(NOT_FOUND_PAGE); // /system is a 404 page to each tenant
  for (const role of ["admin", "outsider", "member"] as const) {
    const { context, page } = await asRole(browser, role);
    expect((await page.goto("/system"))?.status()).toBe(404);
    await page.goto("/projects");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System" })).toHaveCount(0);
    for (const action of [pause, runNow]) expect((await replayServerAction(context.request, action)).text).toContain("Not found.");
    await context.close();
  }

  const { context, page } = await asRole(browser, "support");
  await page.goto("/system");
  await expect(page.getByRole("heading", { name: "System jobs" })).toBeVisible();
  await expect(page.getByTestId("system-soft_delete_cleanup")).toContainText("0 3 * * *");
  await expect(page.getByTestId("system-soft_delete_cleanup").getByRole("button")).toHaveCount(0);
  for (const action of [pause, runNow]) expect((await replayServerAction(context.request, action)).text).toContain("Not found.");
  await context.close();

  expect({ state: await state(), runs: await runs(), inBoss: await inBoss() }).toEqual(before);
});

test("API keys: a read-only key lists but cannot change schedules; another team's key gets 404", async ({ playwright }) => {
  const readOnly = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local", scopes: ["jobs:read"] });
  const other = await insertApiKey(sql, { team: "globex", createdBy: "outsider@globex.test" });
  const base = `/api/v1/projects/${AUTHZ_PROJECT}/schedules`;
  const before = await footprint();
  for (const [key, expected] of [
    [readOnly.key, 403],
    [other.key, 404],
  ] as const) {
    const api = await playwright.request.newContext({ baseURL: process.env.E2E_BASE_URL, extraHTTPHeaders: bearer(key) });
    expect((await api.put(`${base}/runs_export`, { data: { cron: "* * * * *" } })).status()).toBe(expected);
    expect((await api.post(`${base}/runs_export/pause`)).status()).toBe(expected);
    expect((await api.delete(`${base}/runs_export`)).status()).toBe(expected);
    const list = await api.get(base);
    if (expected === 403) expect((await list.json()).schedules).toEqual([expect.objectContaining({ jobType: "runs_export", cron: "0 3 1 1 *" })]);
    else expect(list.status()).toBe(404);
    await api.dispose();
  }
  expect(await footprint()).toBe(before);
});
