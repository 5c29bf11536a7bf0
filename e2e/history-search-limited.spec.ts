import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { backfillRedactedRuns, e2eSql } from "./support/db";
import { createTeamUser } from "./support/users";

// A team of its own that only support sees, so no other spec's counts or searches include it.
// The e2e server reads HISTORY_SEARCH_BUDGET_MS=0 (never ask the trigram index) and
// HISTORY_SEARCH_DEEP=2500: a search over more than 2,000 runs reads on in steps of 2,500.
const SLUG = "deep-search";
const sql = e2eSql();

test.beforeAll(async () => {
  await sql`delete from teams where slug = ${SLUG}`;
  const [team] = await sql<{ id: string }[]>`insert into teams (slug, name) values (${SLUG}, 'Deep Search') returning id`;
  const [project] = await sql<{ id: string }[]>`insert into projects (team_id, slug, name) values (${team!.id}, ${SLUG}, 'Deep Search') returning id`;
  // 3,000 runs a second apart; "needle" in the 300th, 2,200th and 2,800th newest.
  await sql`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error_message, queued_at, started_at, completed_at)
    select gen_random_uuid(), ${team!.id}, ${project!.id}, 'demo_paced', 'failed', 1, 1, '{}'::jsonb,
      case when g in (300, 2200, 2800) then 'needle ' || g end, now() - g * interval '1 second', now() - g * interval '1 second', now() - g * interval '1 second'
    from generate_series(1, 3000) g`;
  await backfillRedactedRuns(sql);
});
test.afterAll(async () => {
  await sql`delete from teams where slug = ${SLUG}`;
  await sql.end();
});

test.use({ storageState: storageState("support") });

test("a search that reads only part of the history says so, and Next searches further back", async ({ page }, testInfo) => {
  await page.goto(`/projects/${SLUG}/runs?q=needle`);
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("needle 300");
  await expect(rows.nth(1)).toContainText("needle 2200");
  await expect(page.getByTestId("history-count")).toHaveText("2 matches among the 2,500 runs read");
  const notice = page.getByTestId("history-search-limited");
  await expect(notice).toHaveText(/read the newest 2,500 runs only: older runs may match too\. Use Next to search on/);
  // For a person to look at: the notice at desktop and phone widths.
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: testInfo.outputPath(`search-limited-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("link", { name: "Next →" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toContainText("needle 2800");
  await expect(notice).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Next →" })).toHaveCount(0);

  // Back toward newer runs: the same two, read the other way.
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("needle 300");
  await expect(notice).toHaveText(/read the next 2,500 runs only: newer runs may match too\. Use Previous to search on/);
  // Nothing newer matches; the empty page still leads on and back.
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByTestId("history-empty")).toContainText("No more runs this way");
  await expect(page.getByRole("link", { name: "Next →" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the first page" }).click();
  await expect(rows).toHaveCount(2);
  await expect(page).toHaveURL(/q=needle/);
});

test("the REST API says when a search read only part of the history, and its cursor searches on", async ({ request }) => {
  // A key acts for a member of its team (support's reach does not travel with a key).
  const reader = await createTeamUser(sql, SLUG, "member", ["jobs:read"]);
  const { key } = await insertApiKey(sql, { team: SLUG, createdBy: reader.email, scopes: ["jobs:read"] });
  type Page = { runs: { error: string | null }[]; nextCursor: string | null; search?: { read: number; toward: string; more: string | null } };
  const first = (await (await request.get(`/api/v1/projects/${SLUG}/runs?q=needle`, { headers: bearer(key) })).json()) as Page;
  expect(first.runs.map((r) => r.error)).toEqual(["needle 300", "needle 2200"]);
  expect(first.search).toEqual({ read: 2500, toward: "older", more: "next" });
  const second = (await (await request.get(`/api/v1/projects/${SLUG}/runs?q=needle&cursor=${first.nextCursor}`, { headers: bearer(key) })).json()) as Page;
  expect(second.runs.map((r) => r.error)).toEqual(["needle 2800"]);
  expect(second.search).toBeUndefined();
  expect(second.nextCursor).toBeNull();
});
