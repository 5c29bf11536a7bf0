import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

test.use({ storageState: storageState("outsider") });

test("insights chart a job type's runs per hour, failure rate and duration percentiles, with the job type and range in the URL", async ({ page }) => {
  const sql = e2eSql();
  try {
    // Ten Import contacts runs two hours ago lasting 1..10 s, two of them failed (no other spec
    // runs this job type in Globex's project).
    await sql`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, queued_at, started_at, completed_at)
      select gen_random_uuid(), p.team_id, p.id, 'contacts_import', case when i <= 2 then 'failed' else 'completed' end, 1, '{}',
        now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours' + make_interval(secs => i)
      from projects p, generate_series(1, 10) i where p.slug = ${OUTSIDER_PROJECT}`;

    await page.goto(`/projects/${OUTSIDER_PROJECT}/insights`);
    await page.getByLabel("Job type").selectOption("contacts_import");
    await page.getByRole("button", { name: "Show" }).click();
    await expect(page).toHaveURL(/jobType=contacts_import/);
    await expect(page.getByRole("heading", { name: "Insights: Import contacts" })).toBeVisible();
    await expect(page.getByTestId("total-runs")).toHaveText("10");
    await expect(page.getByTestId("total-failure-rate")).toHaveText("20%");
    await expect(page.getByTestId("total-duration-p50")).toHaveText("5.5 s");
    await expect(page.getByRole("img", { name: "Runs per hour" })).toBeVisible();
    await expect(page.getByRole("img", { name: "Failure rate per hour" })).toBeVisible();
    await expect(page.getByRole("img", { name: "Duration p50 and p95 per hour" })).toBeVisible();

    // The table fallback has the same numbers: one row per hour, ten runs in one of them.
    await page.getByText("Show the numbers as a table").click();
    const rows = page.getByRole("table").getByRole("row");
    await expect(rows).toHaveCount(25);
    await expect(rows.filter({ hasText: "20%" })).toHaveCount(1);

    await page.getByRole("link", { name: "Last 7 days" }).click();
    await expect(page).toHaveURL(/range=7d/);
    await expect(page).toHaveURL(/jobType=contacts_import/);
    await expect(page.getByRole("img", { name: "Runs per day" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByTestId("total-runs")).toHaveText("10");

    // A job type without runs says what to do.
    await page.goto(`/projects/${OUTSIDER_PROJECT}/insights?jobType=runs_export&range=24h`);
    await expect(page.getByText(/No runs of Export run history in the last 24 hours/)).toBeVisible();
  } finally {
    await sql.end();
  }
});
