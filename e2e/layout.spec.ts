import path from "node:path";
import { expect, test, type Page } from "./support/test";
import { ACCOUNTS, storageState } from "./support/accounts";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { TEAM } from "./support/team";

// This spec's own project: its scheduled run holds demo_paced's overlap slot there only.
const LAYOUT_PROJECT = "acme-layout";

test.use({ storageState: storageState("admin") });
test.describe.configure({ timeout: 120_000 });

/**
 * The pages people open on a phone as well as a desk, at 1280 and 390 px: the page itself never
 * scrolls sideways (a wide table scrolls inside its own frame), and a Scheduled badge is shown
 * whole. Screenshots go to E2E_SHOTS_DIR (or the test's output folder) for a person to look at.
 */
async function check(page: Page, name: string, shotsDir: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(page.locator("main")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} at ${width} px scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0);
    for (const badge of await page.locator("[data-scheduled]").all()) {
      // Whole as the page opens, without scrolling its table sideways: its text is not clipped,
      // and neither its table's frame nor the viewport cuts it.
      const cut = await badge.evaluate((el) => {
        const box = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 || box.left < -1 || box.right > window.innerWidth + 1) return true;
        for (let frame = el.parentElement; frame; frame = frame.parentElement) {
          if (getComputedStyle(frame).overflowX === "visible") continue;
          const edge = frame.getBoundingClientRect();
          if (box.left < edge.left - 1 || box.right > edge.right + 1) return true;
        }
        return false;
      });
      expect(cut, `${name} at ${width} px: the Scheduled badge is cut`).toBe(false);
    }
    await page.screenshot({ path: path.join(shotsDir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

test("teams and projects, settings, webhooks, a scheduled run, history and the prefilled Run form fit at 1280 and 390 px", async ({ page, request }, testInfo) => {
  const shotsDir = process.env.E2E_SHOTS_DIR ?? testInfo.outputPath();
  const sql = e2eSql();
  try {
    await ensureProject(sql, TEAM, LAYOUT_PROJECT);
    await sql`update job_runs set status = 'cancelled', completed_at = now() where project_id = (select id from projects where slug = ${LAYOUT_PROJECT}) and status in ('pending', 'running')`;
    const key = await insertApiKey(sql, { team: TEAM, createdBy: ACCOUNTS.admin.email });
    const runs = `/api/v1/projects/${LAYOUT_PROJECT}/runs`;
    // A finished run to run again, then a later one (it holds the slot, so it comes second).
    const done = await request.post(runs, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 2, msPerItem: 10 } } });
    expect(done.status()).toBe(201);
    const doneId = ((await done.json()) as { id: string }).id;
    await expect.poll(async () => (await sql<{ status: string }[]>`select status from job_runs where id = ${doneId}`)[0]!.status, { timeout: 30_000 }).toBe("completed");
    const later = await request.post(runs, { headers: bearer(key.key), data: { jobType: "demo_paced", payload: { items: 1 }, runAt: new Date(Date.now() + 60 * 60_000).toISOString() } });
    expect(later.status()).toBe(201);
    const laterId = ((await later.json()) as { id: string }).id;

    const pages: [string, string][] = [
      ["projects", "/projects"],
      ["project-settings", `/projects/${LAYOUT_PROJECT}/settings`],
      ["team-webhooks", `/teams/${TEAM}/settings/webhooks`],
      ["scheduled-run", `/projects/${LAYOUT_PROJECT}/runs/${laterId}`],
      ["jobs", `/projects/${LAYOUT_PROJECT}/jobs`],
      ["history", `/projects/${LAYOUT_PROJECT}/runs`],
      ["rerun-form", `/projects/${LAYOUT_PROJECT}/runs/${doneId}/rerun`],
    ];
    for (const [name, url] of pages) {
      await page.goto(url);
      await check(page, name, shotsDir);
    }
    await expect(page.getByLabel("Items")).toHaveValue("2");

    await sql`update job_runs set status = 'cancelled', completed_at = now() where id = ${laterId} and status = 'pending'`;
  } finally {
    await sql.end();
  }
});
