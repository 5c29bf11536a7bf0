import { redactJson } from "../lib/jobs/redact";
import { expect, test, type Page } from "./support/test";
import { ACCOUNTS, storageState } from "./support/accounts";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { TEAM } from "./support/team";

// This spec's own project: its later runs hold demo_paced's overlap slot there, and no other spec's.
const LATER_PROJECT = "acme-later";
const SHOTS = "/work/wt/_shots/later";

// The browser's own favicon probe may 404 on a slow first load; it is not this page's error.
test.use({ storageState: storageState("admin"), timezoneId: "Europe/Berlin", allowConsoleErrors: /favicon\.ico/ });
// Each test walks several pages and waits for real runs.
test.describe.configure({ timeout: 150_000 });

test.beforeAll(async () => {
  const sql = e2eSql();
  try {
    await ensureProject(sql, TEAM, LATER_PROJECT);
    // Whatever an earlier run of this spec left active.
    await sql`update job_runs set status = 'cancelled', completed_at = now() where project_id = (select id from projects where slug = ${LATER_PROJECT}) and status in ('pending', 'running')`;
  } finally {
    await sql.end();
  }
});

async function shoot(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

/** `at` as a datetime-local value in Europe/Berlin (CET in winter, CEST in summer). */
function berlinLocal(at: Date): string {
  const parts = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(at);
  return parts.replace(" ", "T");
}

test("an admin schedules a run in 30 minutes: Scheduled with its time on the run page, history and Jobs page; it holds the slot; cancelled before it starts", async ({ page }) => {
  await page.goto(`/projects/${LATER_PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await card.getByLabel("Items").fill("2");
  await card.getByLabel("In minutes").check();
  await card.getByLabel("Minutes from now").fill("30");
  const before = Date.now();
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  const runPath = new URL(page.url()).pathname;
  const runId = runPath.split("/").at(-1)!;

  const badge = page.locator("[data-scheduled]");
  await expect(badge).toContainText("Scheduled");
  const scheduledFor = new Date((await badge.getAttribute("data-scheduled"))!);
  expect(scheduledFor.getTime() - before).toBeGreaterThan(29 * 60_000);
  expect(scheduledFor.getTime() - before).toBeLessThan(31 * 60_000);
  // 29m59.6s away reads "in 30m" (seconds are rounded) until the next 15 s tick: either is right.
  await expect(page.getByTestId("scheduled-for")).toContainText(/starts .* UTC \(in (29|30)m\)/);
  await expect(page.getByRole("button", { name: "Cancel run" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Retry now" })).toHaveCount(0);
  await shoot(page, "run-scheduled");

  // History and the Jobs page's recent runs show it as Scheduled too.
  await page.goto(`/projects/${LATER_PROJECT}/runs`);
  await expect(page.locator(`[data-testid=history-row][data-run-id="${runId}"] [data-scheduled]`)).toContainText("Scheduled");
  await shoot(page, "history-scheduled");
  await page.goto(`/projects/${LATER_PROJECT}/jobs`);
  // The type's card says the slot is held by a later run, not that something is running.
  await expect(card.getByRole("link", { name: /^Scheduled \d\d-\d\d \d\d:\d\d UTC$/ })).toHaveAttribute("href", runPath);
  await expect(card.getByText("Running now")).toHaveCount(0);
  // Its "Last run" is that later run, shown as Scheduled rather than Pending.
  await expect(card.getByRole("link", { name: "Last Demo: paced run run" })).toContainText("Scheduled");
  // No ETA for a run that has not started: its typical duration is not time left.
  await page.goto(runPath);
  await expect(page.getByTestId("eta")).toHaveCount(0);
  await page.goto(`/projects/${LATER_PROJECT}/jobs`);
  await expect(page.getByRole("region", { name: "Recent runs" }).or(page.locator("section[aria-labelledby=history]")).locator("[data-scheduled]").first()).toBeVisible();

  // The later run holds demo_paced's slot (overlap "project"): running now is refused, naming it.
  await card.getByRole("button", { name: "Run" }).click();
  await expect(card.getByRole("alert")).toContainText("Demo: paced run is already scheduled for");
  await card.getByRole("link", { name: "View the running run" }).click();
  await expect(page).toHaveURL(runPath);

  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.locator("[data-status=cancelled]")).toBeVisible();
  await expect(page.locator("[data-scheduled]")).toHaveCount(0);
});

test("an admin picks a date and time in their named time zone; a past time is refused, changing nothing", async ({ page }) => {
  await page.goto(`/projects/${LATER_PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await card.getByLabel("At a time").check();
  await expect(card.getByTestId("run-at-zone")).toContainText(/Your time zone: Europe\/Berlin \(UTC\+0[12]:00\)/);

  // An hour ago: refused with a clear message.
  await card.getByLabel("Run at").fill(berlinLocal(new Date(Date.now() - 60 * 60_000)));
  await card.getByRole("button", { name: "Run" }).click();
  await expect(card.getByText("That time has passed: choose a time in the future, or run it now.")).toBeVisible();
  await expect(page).toHaveURL(/\/jobs$/);
  await shoot(page, "run-form-at");

  // Two hours ahead, whole minutes: the run starts at exactly that instant.
  const at = new Date(Math.ceil((Date.now() + 2 * 60 * 60_000) / 60_000) * 60_000);
  await card.getByLabel("Run at").fill(berlinLocal(at));
  await expect(card.getByTestId("run-at-zone")).toContainText(`${at.toISOString().replace("T", " ").slice(0, 16)} UTC`);
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.locator("[data-scheduled]")).toHaveAttribute("data-scheduled", at.toISOString());
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.locator("[data-status=cancelled]")).toBeVisible();
});

test("REST: runAt schedules a run that starts at its time (not before); bad runAt is refused with 422 and creates nothing", async ({ request }) => {
  const sql = e2eSql();
  try {
    const key = await insertApiKey(sql, { team: TEAM, createdBy: ACCOUNTS.admin.email });
    const url = `/api/v1/projects/${LATER_PROJECT}/runs`;
    const countRuns = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where project_id = (select id from projects where slug = ${LATER_PROJECT})`)[0]!.n;
    const runsBefore = await countRuns();
    for (const runAt of [new Date(Date.now() - 10 * 60_000).toISOString(), new Date(Date.now() + 400 * 86_400_000).toISOString(), "tomorrow", "2026-12-02T16:30:00", "2026-12-02T16:30:00Z\u0000", "9".repeat(70), 12345]) {
      const response = await request.post(url, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 1 }, runAt } });
      expect(response.status(), String(runAt).slice(0, 30)).toBe(422);
      const body = await response.json();
      expect(Object.keys(body.error.fieldErrors)).toEqual(["runAt"]);
    }
    expect(await countRuns()).toBe(runsBefore);

    const runAt = new Date(Date.now() + 4000);
    const created = await request.post(url, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 1, msPerItem: 10 }, runAt: runAt.toISOString() } });
    expect(created.status()).toBe(201);
    const run = await created.json();
    expect(run).toMatchObject({ status: "pending", scheduledFor: runAt.toISOString(), waitingForRetry: false });

    // It holds the slot until it has run: 409 with its id.
    const second = await request.post(url, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 1 } } });
    expect(second.status()).toBe(409);
    expect((await second.json()).error).toMatchObject({ code: "already_active", existingRunId: run.id, overlap: "project" });

    let last = run;
    for (let i = 0; i < 40 && last.status !== "completed"; i++) {
      if (Date.now() < runAt.getTime() - 500) expect(last.status).toBe("pending");
      await new Promise((r) => setTimeout(r, 500));
      last = await (await request.get(`${url}/${run.id}`, { headers: bearer(key.key) })).json();
    }
    expect(last.status).toBe("completed");
    expect(new Date(last.startedAt).getTime()).toBeGreaterThanOrEqual(runAt.getTime());
  } finally {
    await sql.end();
  }
});

test("an admin runs a finished run again with changes: the form is prefilled, edited, run; a redacted value is withheld, not prefilled", async ({ page }) => {
  await page.goto(`/projects/${LATER_PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await card.getByLabel("Items").fill("2");
  await card.getByLabel("Milliseconds per item").fill("15");
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  const firstRun = page.url();

  await page.getByRole("link", { name: "Run again with changes" }).click();
  await expect(page).toHaveURL(/\/rerun$/);
  await expect(page.getByRole("heading", { name: "Run Demo: paced run again" })).toBeVisible();
  await expect(page.getByLabel("Items")).toHaveValue("2");
  await expect(page.getByLabel("Milliseconds per item")).toHaveValue("15");
  await shoot(page, "rerun");
  await page.getByLabel("Items").fill("3");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  expect(page.url()).not.toBe(firstRun);
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole("region", { name: "Payload and result" })).toContainText('"items": 3');
  await expect(page.getByRole("region", { name: "Payload and result" })).toContainText('"msPerItem": 15');

  // A run whose payload held a secret (an account id that looks like a live key): the tenant saw
  // it masked, and the prefill neither shows the secret nor its mask.
  const secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
  const sql = e2eSql();
  let runId: string;
  try {
    const payload = { account: secret };
    const [row] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, payload_public, completed_at)
      select gen_random_uuid(), p.team_id, p.id, 'subscription_sync', 'failed', 3, ${sql.json(payload)}, ${sql.json(redactJson(payload) as Record<string, string>)}, now()
      from projects p where p.slug = ${LATER_PROJECT} returning id`;
    runId = row!.id;
  } finally {
    await sql.end();
  }
  await page.goto(`/projects/${LATER_PROJECT}/runs/${runId}/rerun`);
  await expect(page.getByLabel("Provider account")).toHaveValue("");
  await expect(page.getByText("Hidden in the earlier run (a secret): enter it again.")).toBeVisible();
  expect(await page.content()).not.toContain(secret);
  expect(await page.content()).not.toContain("***");
});
