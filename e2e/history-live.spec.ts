import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";

// Projects of this spec's own, so the counts see only its runs.
const SLUG = "acme-live";
const INSIGHTS_SLUG = "acme-live-insights";
const sql = e2eSql();
let projectId = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  projectId = await ensureProject(sql, "acme", SLUG);
  await sql`delete from job_runs where project_id = ${projectId}`;
  // 40 finished runs in the last hours (a page that scrolls), one failed, and one finished two
  // days ago, outside the counts' 24 h window.
  await sql`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, run_at, started_at, completed_at)
    select gen_random_uuid(), p.team_id, p.id, 'demo_paced', case when i = 1 then 'failed' else 'completed' end, 1, 1, '{}',
      now() - make_interval(mins => 10 + i), now() - make_interval(mins => 10 + i), now() - make_interval(mins => 10 + i), now() - make_interval(mins => 10 + i) + interval '2 seconds'
    from projects p, generate_series(1, 40) i where p.id = ${projectId}`;
  await sql`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, run_at, started_at, completed_at)
    select gen_random_uuid(), team_id, id, 'demo_paced', 'completed', 1, 1, '{}', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days' + interval '1 second'
    from projects where id = ${projectId}`;
});
test.afterAll(() => sql.end());

test.describe("as admin", () => {
  test.use({ storageState: storageState("admin") });

  test("a run started through the API changes status in place and the counts follow, without a reload: scroll, selection and filter stay", async ({ page, request }) => {
    const key = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local" });
    const started = await request.post(`/api/v1/projects/${SLUG}/runs`, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 16, msPerItem: 250 } } });
    expect(started.status()).toBe(201);
    const runId = (await started.json()).id as string;

    await page.setViewportSize({ width: 1280, height: 600 });
    await page.goto(`/projects/${SLUG}/runs?jobType=demo_paced&limit=50`);
    const row = page.locator(`[data-testid="history-row"][data-run-id="${runId}"]`);
    await expect(row).toHaveAttribute("data-status", /pending|running/);
    // Counts come from the first poll after hydration: one active run, 40 finished in 24 h (the
    // two-day-old run is outside the window), 1 of them failed.
    const counts = page.getByTestId("status-counts");
    await expect(counts).toContainText("last 24 h");
    await expect(page.getByTestId("count-failed")).toHaveAttribute("data-count", "1");
    await expect(page.getByTestId("count-completed")).toHaveAttribute("data-count", "39");
    const active = async () => Number(await page.getByTestId("count-pending").getAttribute("data-count")) + Number(await page.getByTestId("count-running").getAttribute("data-count"));
    expect(await active()).toBe(1);
    // The server-rendered count marker stays.
    await expect(page.getByTestId("history-count")).toHaveText("42 runs match these filters");

    // Select a row, scroll down, and mark the document: a reload or a re-render from the server would lose all three.
    await page.getByRole("checkbox", { name: `Select run ${runId.slice(0, 8)}` }).check();
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
      window.scrollTo(0, 400);
    });
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(100);

    await expect(row).toHaveAttribute("data-status", "completed", { timeout: 30_000 });
    await expect(row).toContainText("Completed");
    await expect(page.getByTestId("count-completed")).toHaveAttribute("data-count", "40");
    await expect.poll(active).toBe(0);

    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    // Where the reader was (the finished row's progress line going away may shift it by a line).
    expect(Math.abs((await page.evaluate(() => window.scrollY)) - scrolled)).toBeLessThan(40);
    await expect(page.getByRole("checkbox", { name: `Select run ${runId.slice(0, 8)}` })).toBeChecked();
    await expect(page.getByText("1 selected")).toBeVisible();
    await expect(page).toHaveURL(`/projects/${SLUG}/runs?jobType=demo_paced&limit=50`);
    await expect(page.getByRole("search", { name: "Filter runs" }).getByLabel("Demo: paced run")).toBeChecked();
    // Not re-sorted: the run stays first (newest), where it was.
    await expect(page.getByTestId("history-row").first()).toHaveAttribute("data-run-id", runId);
  });

  test("polls only while the tab is visible, and an unchanged page is answered 304", async ({ page }) => {
    const polls: number[] = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/runs") polls.push(r.status());
    });
    await page.goto(`/projects/${SLUG}/runs`);
    await expect(page.getByTestId("count-completed")).toHaveAttribute("data-count", /\d+/);
    // Nothing moves in this project now: the next polls are bodiless 304s.
    await expect.poll(() => polls.filter((s) => s === 304).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((value) => {
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => value });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await setVisibility("hidden");
    await page.waitForTimeout(300); // a poll already in flight may still land
    const hiddenAt = polls.length;
    await page.waitForTimeout(5000);
    expect(polls.length).toBe(hiddenAt);
    await setVisibility("visible");
    await expect.poll(() => polls.length).toBeGreaterThan(hiddenAt);
  });

  test("the monitor shows the counts across the admin's projects", async ({ page }) => {
    await page.goto("/runs");
    await expect(page.getByTestId("status-counts")).toContainText("last 24 h");
    const completed = Number(await page.getByTestId("count-completed").getAttribute("data-count"));
    expect(completed).toBeGreaterThanOrEqual(40);
  });

  test("insights open on the job type that ran last in the project", async ({ page }) => {
    const id = await ensureProject(sql, "acme", INSIGHTS_SLUG);
    await sql`delete from job_runs where project_id = ${id}`;
    await sql`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, run_at, started_at, completed_at)
      select gen_random_uuid(), team_id, id, t.job_type, 'completed', 1, 1, '{}', now() - t.ago, now() - t.ago, now() - t.ago, now() - t.ago + interval '3 seconds'
      from projects, (values ('demo_paced', interval '2 hours'), ('runs_export', interval '5 minutes')) t(job_type, ago) where projects.id = ${id}`;
    await page.goto(`/projects/${INSIGHTS_SLUG}/insights`);
    await expect(page.getByRole("heading", { name: "Insights: Export run history" })).toBeVisible();
    await expect(page.getByTestId("total-runs")).toHaveText("1");
    await expect(page.getByLabel("Job type")).toHaveValue("runs_export");
    // A chosen type still wins.
    await page.goto(`/projects/${INSIGHTS_SLUG}/insights?jobType=demo_paced`);
    await expect(page.getByRole("heading", { name: "Insights: Demo: paced run" })).toBeVisible();
  });
});

test.describe("as support", () => {
  test.use({ storageState: storageState("support") });

  test("support opens instance-wide insights from the nav: runs, failure rate and p95 per job type across teams", async ({ page }) => {
    // Ten contacts imports in a Globex project and ten in an Acme one (this spec's own), 1..10 s,
    // two failed in each: the view spans both teams.
    const globex = await ensureProject(sql, "globex", "globex-live");
    await sql`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, run_at, started_at, completed_at)
      select gen_random_uuid(), p.team_id, p.id, 'contacts_import', case when i <= 2 then 'failed' else 'completed' end, 1, 1, '{}',
        now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours' + make_interval(secs => i)
      from projects p, generate_series(1, 10) i where p.id in (${globex}, ${projectId})`;
    await page.goto("/runs");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Insights" }).click();
    await expect(page).toHaveURL("/insights");
    await expect(page.getByRole("heading", { name: "Instance insights" })).toBeVisible();
    const row = page.locator('[data-testid="instance-insights-row"][data-job-type="contacts_import"]');
    await expect(row).toBeVisible();
    expect(Number(await row.getByTestId("runs").textContent())).toBeGreaterThanOrEqual(20);
    expect(Number(await row.getByTestId("failed").textContent())).toBeGreaterThanOrEqual(4);
    await expect(row.getByTestId("p95")).not.toHaveText("—");
    await page.getByRole("link", { name: "Last 7 days" }).click();
    await expect(page).toHaveURL("/insights?range=7d");
    await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "page");
  });
});
