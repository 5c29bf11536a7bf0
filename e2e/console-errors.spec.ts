import { expect, test } from "./support/test";

// The fixture itself: each page below logs an error, so the test must end failed (test.fail()).
// If the fixture stopped catching one kind, that test would pass and the suite would go red.
test.describe("the console-error fixture", () => {
  test("fails a test whose page logs console.error", async ({ page }) => {
    test.fail();
    await page.setContent(`<script>console.error("logged on purpose")</script>`);
  });

  test("fails a test whose page throws an uncaught exception", async ({ page }) => {
    test.fail();
    await page.setContent(`<script>throw new Error("thrown on purpose")</script>`);
  });

  test("covers pages of contexts the test opens itself", async ({ browser }) => {
    test.fail();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.setContent(`<script>console.error("logged on purpose")</script>`);
    await context.close();
  });

  test.describe("with the error allowed", () => {
    test.use({ allowConsoleErrors: /logged on purpose/ });
    test("passes", async ({ page }) => {
      await page.setContent(`<script>console.error("logged on purpose")</script>`);
      await expect(page.locator("body")).toBeAttached();
    });
  });
});
