import { randomBytes } from "node:crypto";
import { expect, test } from "./support/test";
import { OUTSIDER_PROJECT, PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

test("support sees errors of every team grouped by job type and sub-type, with counts over time, and drills into the runs", async ({ browser }) => {
  const sql = e2eSql();
  const subType = `planted_${randomBytes(4).toString("hex")}`;
  try {
    const error = { message: "Upstream refused", type: "api_error", source: "external_service", subType, severity: 4, retryable: true };
    for (const [slug, n] of [
      [PROJECT, 2],
      [OUTSIDER_PROJECT, 1],
    ] as const) {
      await sql`
        insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error, error_message, queued_at, completed_at)
        select gen_random_uuid(), p.team_id, p.id, 'demo_paced', 'failed', 1, 1, '{}', ${sql.json(error)}, ${error.message}, now() - interval '3 hours', now() - interval '3 hours'
        from projects p, generate_series(1, ${n}) where p.slug = ${slug}`;
    }
    const support = await browser.newContext({ storageState: storageState("support") });
    const page = await support.newPage();
    await page.goto("/errors");
    await expect(page.getByRole("heading", { name: "Errors" })).toBeVisible();
    const group = page.getByTestId("error-group").filter({ hasText: subType });
    await expect(group).toContainText("Demo: paced run");
    await expect(group).toContainText("api_error / external_service");
    await expect(group.getByRole("cell", { name: "3", exact: true })).toBeVisible();
    await expect(group.getByRole("img", { name: new RegExp(`^${subType} per hour: .+ 3$`) })).toBeVisible();

    await group.getByRole("link", { name: subType }).click();
    await expect(page).toHaveURL(new RegExp(`subType=${subType}`));
    const runs = page.getByRole("region", { name: "Matching runs" }).getByTestId("run-row");
    await expect(runs).toHaveCount(3);
    await expect(runs.filter({ hasText: "Acme / Acme App" })).toHaveCount(2);
    await expect(runs.filter({ hasText: "Globex / Globex Site" })).toHaveCount(1);

    await page.getByRole("link", { name: "Last 7 days" }).click();
    await expect(page).toHaveURL(/range=7d/);
    await expect(runs).toHaveCount(3);
    await expect(page.getByTestId("error-group").filter({ hasText: subType }).getByRole("img", { name: /per day/ })).toBeVisible();

    // Into a run of another team: support reads it with the unredacted error.
    await runs.filter({ hasText: "Globex / Globex Site" }).getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`/projects/${OUTSIDER_PROJECT}/runs/`));
    await expect(page.getByRole("alert").filter({ hasText: "Error" })).toContainText(subType);
    await support.close();
  } finally {
    await sql.end();
  }
});
