import { expect, test } from "./support/test";
import { SECOND_PROJECT, storageState } from "./support/accounts";

test.use({ storageState: storageState("admin") });

test("a second Run while one is active says already running, links to it, and the run can be cancelled", async ({ page }) => {
  await page.goto(`/projects/${SECOND_PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await card.getByLabel("Items").fill("300");
  await card.getByLabel("Milliseconds per item").fill("100");
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\//);
  const runUrl = page.url();
  await expect(page.locator("[data-status=running]")).toBeVisible();

  // Overlap prevention: the job type shows its active run, and a second trigger is refused.
  await page.goto(`/projects/${SECOND_PROJECT}/jobs`);
  await expect(card.getByRole("link", { name: "Running now" })).toHaveAttribute("href", new URL(runUrl).pathname);
  await card.getByRole("button", { name: "Run" }).click();
  await expect(card.getByRole("alert")).toContainText("Demo: paced run is already running for this project.");
  await card.getByRole("link", { name: "View the running run" }).click();
  await expect(page).toHaveURL(runUrl);

  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Cancel requested" })).toBeVisible();
  await expect(page.locator("[data-status=cancelled]")).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole("button", { name: /Cancel/ })).toHaveCount(0);
  const counts = await page.getByTestId("progress-counts").textContent();
  expect(Number(counts?.split(" ")[0])).toBeLessThan(300);

  // The slot is free again.
  await page.goto(`/projects/${SECOND_PROJECT}/jobs`);
  await expect(card.getByText("Running now")).toHaveCount(0);
});
