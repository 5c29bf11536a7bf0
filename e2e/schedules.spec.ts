import { expect, test } from "./support/test";
import type postgres from "postgres";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/users";

/** A project of its own: a schedule here never holds another spec's overlap slot. */
const SCHEDULE_PROJECT = "acme-schedules";
const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };
// Never fires while the suite runs: the page shows its next run, the worker starts nothing.
const CRON = "0 3 1 1 *";

let sql: postgres.Sql;
test.beforeAll(async () => {
  sql = e2eSql();
  await ensureProject(sql, "acme", SCHEDULE_PROJECT);
});
test.afterAll(async () => {
  await sql.end();
});

async function scheduleState(jobType: string) {
  const [row] = await sql<{ id: string; cron: string; paused_at: Date | null; in_boss: boolean }[]>`
    select s.id, s.cron, s.paused_at, exists(select 1 from pgboss.schedule b where b.name = 'runboard_project_cron' and b.key = s.id::text) as in_boss
    from project_schedules s join projects p on p.id = s.project_id where p.slug = ${SCHEDULE_PROJECT} and s.job_type = ${jobType}`;
  return row ?? null;
}

test.describe("project schedules", () => {
  test.use({ storageState: storageState("admin") });

  test("an admin sets a schedule on the jobs page, sees its next run, pauses, resumes and removes it; a bad cron changes nothing", async ({ page }) => {
    await page.goto(`/projects/${SCHEDULE_PROJECT}/jobs`);
    const form = page.getByRole("form", { name: "Set a schedule" });
    await expect(page.getByRole("heading", { name: "Schedules", exact: true })).toBeVisible();
    await expect(page.getByText("No schedules yet.")).toBeVisible();

    // A bad cron: a clear message under the field, nothing stored.
    await form.getByLabel("Job type").selectOption({ label: "Export run history" });
    await form.getByLabel("Cron (UTC)").fill("61 * * * *");
    await form.getByRole("button", { name: "Set schedule" }).click();
    await expect(form.getByText(/"61 \* \* \* \*" is not a valid cron expression/)).toBeVisible();
    await form.getByLabel("Cron (UTC)").fill("0 3 * *");
    await form.getByRole("button", { name: "Set schedule" }).click();
    await expect(form.getByText("A cron expression has 5 fields (minute hour day-of-month month day-of-week); this one has 4.")).toBeVisible();
    await form.getByLabel("Cron (UTC)").fill(CRON);
    await form.getByLabel("Payload (JSON, optional)").fill("{days: 7}");
    await form.getByRole("button", { name: "Set schedule" }).click();
    await expect(form.getByText(/The payload is not valid JSON/)).toBeVisible();
    await form.getByLabel("Payload (JSON, optional)").fill('{"days": 0}');
    await form.getByRole("button", { name: "Set schedule" }).click();
    await expect(form.getByText(/^days: /)).toBeVisible();
    expect(await scheduleState("runs_export")).toBeNull();

    await form.getByLabel("Payload (JSON, optional)").fill('{"days": 7}');
    await form.getByRole("button", { name: "Set schedule" }).click();
    const row = page.getByTestId("schedule-runs_export");
    await expect(row).toContainText(CRON);
    await expect(row).toContainText("active");
    await expect(row.getByTestId("next-run")).toHaveText(/^in \d+d$/);
    await expect(row).toContainText('{"days":7,"includeErrors":true}');
    expect(await scheduleState("runs_export")).toMatchObject({ cron: CRON, paused_at: null, in_boss: true });

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await row.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `.data/screenshots/schedules-jobs-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await row.getByRole("button", { name: "Pause the Export run history schedule" }).click();
    await expect(row).toContainText("paused");
    await expect(row.getByTestId("next-run")).toHaveText("— (paused)");
    expect(await scheduleState("runs_export")).toMatchObject({ in_boss: false });

    await row.getByRole("button", { name: "Resume the Export run history schedule" }).click();
    await expect(row).toContainText("active");
    expect(await scheduleState("runs_export")).toMatchObject({ paused_at: null, in_boss: true });

    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Remove the Export run history schedule" }).click();
    await expect(row).toHaveCount(0);
    await expect(page.getByText("No schedules yet.")).toBeVisible();
    expect(await scheduleState("runs_export")).toBeNull();

    const audit = await sql<{ action: string }[]>`
      select action from audit_events where details->>'projectId' = (select id::text from projects where slug = ${SCHEDULE_PROJECT}) order by created_at`;
    expect(audit.map((a) => a.action)).toEqual(["schedule.set", "schedule.paused", "schedule.resumed", "schedule.removed"]);
  });

  test("a 1 MB cron or a NUL sent straight to the action is refused with a 4xx-style message and stores nothing", async ({ page }) => {
    await page.goto(`/projects/${SCHEDULE_PROJECT}/jobs`);
    const form = page.getByRole("form", { name: "Set a schedule" });
    await form.getByLabel("Job type").selectOption({ label: "Demo: paced run" });
    await form.getByLabel("Cron (UTC)").fill("5 4 3 2 *");
    const action = await captureServerAction(page, () => form.getByRole("button", { name: "Set schedule" }).click());
    const withCron = (cron: string) => ({ ...action, body: Buffer.from(action.body.toString("utf8").replace("5 4 3 2 *", cron), "utf8") });

    const huge = await replayServerAction(page.request, withCron("1".repeat(1024 * 1024)));
    expect(huge.status).toBe(200);
    expect(huge.text).toContain("A cron expression is at most 100 characters.");
    const nul = await replayServerAction(page.request, withCron("0 0 * * \u0000"));
    expect(nul.text).toContain("Must not contain a NUL character");
    expect(await scheduleState("demo_paced")).toBeNull();
  });
});

test("the instance owner pauses, resumes and runs a system schedule now from the System page", async ({ browser }) => {
  const owner = await signedIn(browser, OWNER.email, OWNER.password);
  const page = await owner.newPage();
  await page.goto("/projects");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System" }).click();
  await expect(page.getByRole("heading", { name: "System jobs" })).toBeVisible();
  const pruning = page.getByTestId("system-db_pruning");
  await expect(pruning).toContainText("0 * * * *");
  await expect(pruning).toContainText("active");
  await expect(pruning.getByTestId("next-run")).toHaveText(/^in \d+m$|^in \d+s$/);
  await expect(page.getByTestId("system-notification_delivery")).toContainText("on demand");
  await expect(page.getByTestId("system-notification_delivery").getByRole("button")).toHaveCount(0);

  const inBoss = async () => (await sql`select 1 from pgboss.schedule where name = 'runboard_cron' and key = 'db_pruning'`).length === 1;
  expect(await inBoss()).toBe(true);
  await pruning.getByRole("button", { name: "Pause Database pruning" }).click();
  await expect(pruning).toContainText("paused");
  await expect(pruning.getByTestId("next-run")).toHaveText("— (paused)");
  expect(await inBoss()).toBe(false);

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `.data/screenshots/system-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  await pruning.getByRole("button", { name: "Resume Database pruning" }).click();
  await expect(pruning).toContainText("active");
  expect(await inBoss()).toBe(true);

  const partitions = page.getByTestId("system-partition_creation");
  await partitions.getByRole("button", { name: "Run Partition creation now" }).click();
  await expect(page.getByText(/Started Partition creation: run [0-9a-f]{8}\./)).toBeVisible();
  const [run] = await sql<{ id: string; status: string }[]>`
    select r.id, r.status from audit_events a join job_runs r on r.id = a.run_id join users u on u.id = a.actor_user_id
    where a.action = 'system_job.run_now' and u.email = ${OWNER.email} order by a.created_at desc limit 1`;
  expect(run).toBeDefined();
  await expect.poll(async () => (await sql<{ status: string }[]>`select status from job_runs where id = ${run!.id}`)[0]?.status, { timeout: 30_000 }).toBe("completed");
  await page.reload();
  await expect(partitions).toContainText("Completed");

  const actions = await sql<{ action: string }[]>`select action from audit_events where action like 'system_%' and actor_user_id = (select id from users where email = ${OWNER.email}) order by created_at`;
  expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["system_schedule.paused", "system_schedule.resumed", "system_job.run_now"]));
  await owner.close();
});

test("the API sets, lists, pauses, resumes and removes a project schedule; bad input gets 4xx and changes nothing", async ({ playwright }) => {
  const API_PROJECT = "acme-schedules-api";
  await ensureProject(sql, "acme", API_PROJECT);
  const key = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local" });
  const api = await playwright.request.newContext({ baseURL: process.env.E2E_BASE_URL, extraHTTPHeaders: bearer(key.key) });
  const base = `/api/v1/projects/${API_PROJECT}/schedules`;
  try {
    const bad = await api.put(`${base}/runs_export`, { data: { cron: "0 0 31 2 *" } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).error.fieldErrors.cron[0]).toMatch(/not a valid cron expression/);
    expect((await api.put(`${base}/runs_export`, { data: { cron: "0 3 * * *", payload: { days: "many" } } })).status()).toBe(422);
    expect((await api.put(`${base}/runs_export`, { data: { cron: "x".repeat(1024 * 1024) } })).status()).toBe(413);
    expect((await api.put(`${base}/runs_export`, { data: { cron: "0 3 * * \u0000" } })).status()).toBe(422);
    expect((await api.put(`${base}/db_pruning`, { data: { cron: "0 3 * * *" } })).status()).toBe(404);
    expect((await (await api.get(base)).json()).schedules).toEqual([]);

    const set = await api.put(`${base}/runs_export`, { data: { cron: CRON, payload: { days: 3 } } });
    expect(set.status()).toBe(200);
    expect((await set.json()).schedule).toMatchObject({ jobType: "runs_export", cron: CRON, paused: false, payload: { days: 3, includeErrors: true } });
    const listed = (await (await api.get(base)).json()).schedules;
    expect(listed).toEqual([expect.objectContaining({ jobType: "runs_export", skippedCount: 0, nextRunAt: expect.stringMatching(/-01-01T03:00:00/) })]);

    for (let i = 0; i < 2; i++) expect((await (await api.post(`${base}/runs_export/pause`)).json()).schedule).toMatchObject({ paused: true, nextRunAt: null });
    expect((await (await api.post(`${base}/runs_export/resume`)).json()).schedule).toMatchObject({ paused: false });
    expect((await api.delete(`${base}/runs_export`)).status()).toBe(204);
    expect((await api.delete(`${base}/runs_export`)).status()).toBe(404);
    const [audit] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where actor_api_key_id = ${key.id} and action like 'schedule.%'`;
    expect(audit!.n).toBe(4);
  } finally {
    await api.dispose();
  }
});
