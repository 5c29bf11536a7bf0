import { expect, test } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";

test.use({ storageState: storageState("admin") });

test("exporting the run history produces a CSV the run page offers for download", async ({ page }) => {
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-runs_export");
  await card.getByLabel("Days of history").fill("7");
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\//);
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });

  const link = page.getByRole("link", { name: /^Download acme-app-runs-.*\.csv$/ });
  const download = await Promise.all([page.waitForEvent("download"), link.click()]).then(([d]) => d);
  const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8"));
  const [header, ...rows] = text.trim().split("\r\n");
  expect(header).toBe("run_id,job_type,status,attempts,queued_at,started_at,completed_at,duration_ms,triggered_by,progress_processed,progress_total,error_message");
  // The export itself is running while it writes, so it lists itself.
  const runId = page.url().split("/").at(-1)!;
  expect(rows.some((r) => r.startsWith(`${runId},runs_export,running`))).toBe(true);
});
