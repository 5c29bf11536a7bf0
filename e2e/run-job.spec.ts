import { expect, test } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";

test.use({ storageState: storageState("admin") });

test("an admin runs a job and watches its progress advance to completed", async ({ page }) => {
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-demo_paced");
  await expect(card.getByRole("heading", { name: "Demo: paced run" })).toBeVisible();
  await card.getByLabel("Items").fill("12");
  await card.getByLabel("Milliseconds per item").fill("350");
  await card.getByLabel("Notify me when done").check();
  await card.getByRole("button", { name: "Run" }).click();

  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  const runPath = new URL(page.url()).pathname;
  await expect(page.getByRole("heading", { name: "Demo: paced run" })).toBeVisible();
  const bar = page.getByRole("progressbar", { name: "Run progress" });

  // The page polls: we must see a value strictly between 0 and 100 before the end.
  const seen = new Set<number>();
  await expect
    .poll(
      async () => {
        // Read together: a short run may end between two separate checks.
        const [now, running] = await Promise.all([bar.getAttribute("aria-valuenow"), page.locator("[data-status=running]").count()]);
        const value = Number(now);
        seen.add(value);
        return running > 0 && value > 0 && value < 100;
      },
      { timeout: 15_000, intervals: [100] },
    )
    .toBe(true);
  await expect(page.getByTestId("stage")).toHaveText("Stage: stepping");

  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  await expect(bar).toHaveAttribute("aria-valuenow", "100");
  await expect(page.getByTestId("progress-counts")).toContainText("12 / 12 processed");
  expect([...seen].some((v) => v > 0 && v < 100)).toBe(true);
  await expect(page.getByText("Notify when done")).toBeVisible();
  await expect(page.locator("dd", { hasText: /^Yes$/ })).toBeVisible();
  await expect(page.getByRole("region", { name: "Steps" }).getByText("warm_up")).toBeVisible();

  // The run is in the project's history.
  await page.getByRole("link", { name: "Acme App" }).click();
  await expect(page.getByTestId("run-row").first()).toContainText("Demo: paced run");
  // The job type card now knows how long a run typically takes (about 12 × 350 ms).
  await expect(card).toContainText(/Typically takes [3-9]\.\d s/);
  await expect(card.getByRole("link", { name: "Last Demo: paced run run" })).toHaveAttribute("href", runPath);
});
