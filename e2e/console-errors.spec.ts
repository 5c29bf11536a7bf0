import { expect, test, type Page } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";
import { signedIn } from "./support/users";

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

/**
 * Every dashboard page each seeded role reaches by following links (nav, tables, buttons that are
 * links), from /projects: a page that logs anything on load (a hydration mismatch #418 from a time
 * rendered differently on server and browser, a key warning, a failed fetch) fails its role's test.
 * One URL per route shape (ids and slugs folded), so a long run list costs one visit.
 */
const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };

/** `/projects/acme-app/runs/<uuid>` and `/projects/acme-ops/runs/<uuid>` are one route. */
function routeShape(pathname: string): string {
  return pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ":id")
    .replace(/^\/projects\/[^/]+/, "/projects/:slug")
    .replace(/^\/teams\/[^/]+/, "/teams/:team")
    .replace(/\/resources\/[^/]+\/[^/]+$/, "/resources/:type/:id")
    .replace(/\/webhooks\/[^/]+$/, "/webhooks/:id");
}

/** Visits every route shape reachable from /projects; returns the shapes it saw with their first URL. */
async function crawl(page: Page, start: string[]): Promise<Map<string, string>> {
  const origin = new URL(page.url() === "about:blank" ? process.env.E2E_BASE_URL! : page.url()).origin;
  const seen = new Map<string, string>();
  const queue = [...start];
  while (queue.length > 0 && seen.size < 60) {
    const href = queue.shift()!;
    const url = new URL(href, origin);
    const shape = routeShape(url.pathname);
    if (seen.has(shape)) continue;
    seen.set(shape, url.pathname + url.search);
    const response = await page.goto(url.pathname + url.search);
    expect(response?.status(), `${url.pathname}${url.search} answers`).toBeLessThan(400);
    // Hydration runs after load; give React a moment to report a mismatch before leaving.
    await page.waitForLoadState("load");
    await expect(page.locator("main")).toBeVisible();
    await page.waitForTimeout(500);
    const links = await page.locator("a[href^='/']").evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href") ?? ""));
    for (const link of links) {
      const next = new URL(link, origin);
      // Downloads, and the signed-out pages (a reset or invite link is not a dashboard page).
      if (/^\/(api|_next|sign-|invite|reset-password|forgot-password)/.test(next.pathname)) continue;
      // The instance insights are read once a minute per range and shared (sharedRead): reading
      // the default range here would hand history-live.spec.ts figures from before its inserts.
      if (next.pathname === "/insights" && !next.search) next.search = "?range=7d";
      if (!seen.has(routeShape(next.pathname))) queue.push(next.pathname + next.search);
    }
  }
  return seen;
}

test.describe("every page a role reaches loads without a console error", () => {
  test.describe.configure({ timeout: 240_000 });
  const must: Record<string, string[]> = {
    owner: ["/projects", "/runs", "/projects/:slug/runs", "/projects/:slug/runs/:id", "/projects/:slug/settings", "/teams/:team/settings/webhooks", "/workers", "/users", "/system", "/outbox", "/queues"],
    admin: ["/projects", "/runs", "/projects/:slug/runs", "/projects/:slug/runs/:id", "/projects/:slug/settings", "/teams/:team/settings/webhooks", "/teams/:team/settings/api-keys"],
    member: ["/projects", "/runs", "/projects/:slug/runs", "/projects/:slug/runs/:id", "/projects/:slug/jobs"],
    support: ["/projects", "/runs", "/workers"],
  };
  for (const role of ["owner", "admin", "member", "support"] as const) {
    test(`as ${role}`, async ({ browser }) => {
      const context = role === "owner" ? await signedIn(browser, OWNER.email, OWNER.password) : await browser.newContext({ storageState: storageState(role) });
      try {
        const page = await context.newPage();
        await page.goto("/projects");
        // The history pages are named: they are where #418 was first seen.
        const seen = await crawl(page, ["/projects", "/runs", `/projects/${PROJECT}/runs`, `/projects/${PROJECT}/jobs`]);
        for (const shape of must[role]!) expect([...seen.keys()], `${role} reaches ${shape}`).toContain(shape);
      } finally {
        await context.close();
      }
    });
  }
});
