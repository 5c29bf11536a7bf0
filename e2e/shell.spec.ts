import { expect, test } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";

test.describe("as an admin", () => {
  test.use({ storageState: storageState("admin") });

  test("the header marks the current page, offers no operator links, and skips to content", async ({ page }) => {
    await page.goto("/projects");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Projects" })).toHaveAttribute("aria-current", "page");
    await expect(nav.getByRole("link", { name: "Monitor" })).not.toHaveAttribute("aria-current", "page");
    await expect(nav.getByRole("link", { name: "Errors" })).toHaveCount(0);
    await expect(nav.getByRole("link", { name: "Team" })).toHaveAttribute("href", "/teams/acme/settings");
    await expect(nav.getByRole("link", { name: "Outbox" })).toHaveCount(0);
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  });

  test("the theme toggle switches to dark, survives a reload, and returns to the system theme", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(`/projects/${PROJECT}/jobs`);
    const html = page.locator("html");
    await expect(html).not.toHaveClass(/dark/);
    await page.getByRole("button", { name: /^Theme: system/ }).click(); // → light
    await page.getByRole("button", { name: /^Theme: light/ }).click(); // → dark
    await expect(html).toHaveClass(/dark/);
    await page.reload();
    await expect(html).toHaveClass(/dark/);
    await expect(page.getByRole("button", { name: /^Theme: dark/ })).toBeVisible();
    await page.getByRole("button", { name: /^Theme: dark/ }).click(); // → system (light here)
    await expect(html).not.toHaveClass(/dark/);
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(html).toHaveClass(/dark/);
  });

  test("on a narrow screen the navigation stays reachable", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto("/projects");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Monitor" })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

test.describe("as support", () => {
  test.use({ storageState: storageState("support") });

  test("operator links appear for instance support", async ({ page }) => {
    await page.goto("/projects");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Errors" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Outbox" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Team" })).toHaveCount(0);
  });
});
