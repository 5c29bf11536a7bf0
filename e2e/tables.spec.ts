import { randomBytes } from "node:crypto";
import { expect, test } from "./support/test";
import { storageState, type Role } from "./support/accounts";
import { e2eSql } from "./support/db";

// Every DataTable page at a desktop and a phone width: the table renders its rows and the page
// itself never scrolls sideways (a wide table scrolls inside its frame, members stack into cards).
const SLUG = "acme-tables";
const subType = `tables_${randomBytes(4).toString("hex")}`;
const sql = e2eSql();

test.beforeAll(async () => {
  const [project] = await sql<{ id: string; team_id: string }[]>`
    insert into projects (team_id, slug, name) select id, ${SLUG}, 'Acme Tables' from teams where slug = 'acme'
    on conflict (slug) do update set name = excluded.name returning id, team_id`;
  const error = { message: `Upstream refused the request after a long wait: ${"x".repeat(200)}`, type: "api_error", source: "external_service", subType, severity: 4, retryable: true };
  await sql`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error, error_message, queued_at, started_at, completed_at)
    select gen_random_uuid(), ${project!.team_id}, ${project!.id}, 'demo_paced', s, 1, 1, '{}',
      case when s = 'failed' then ${sql.json(error)}::jsonb end, case when s = 'failed' then ${error.message} end,
      now() - (i * interval '1 minute'), now() - (i * interval '1 minute'), case when s <> 'pending' then now() - (i * interval '1 minute') + interval '2 seconds' end
    from unnest(array['failed', 'completed', 'pending', 'failed']) with ordinality as t(s, i)`;
});

test.afterAll(async () => {
  await sql.end();
});

const PAGES: { name: string; path: string; role: Role; row: string }[] = [
  { name: "jobs-runs", path: `/projects/${SLUG}/jobs`, role: "admin", row: "run-row" },
  { name: "history", path: `/projects/${SLUG}/runs`, role: "admin", row: "history-row" },
  { name: "monitor", path: "/runs", role: "admin", row: "history-row" },
  { name: "members", path: "/teams/acme/settings", role: "admin", row: "member-row" },
  { name: "error-runs", path: `/errors?jobType=demo_paced&subType=${subType}`, role: "support", row: "run-row" },
];

for (const { name, path, role, row } of PAGES) {
  test.describe(name, () => {
    test.use({ storageState: storageState(role) });
    for (const width of [1280, 390]) {
      test(`${name} at ${width}px`, async ({ page }) => {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(path);
        await expect(page.getByTestId(row).first()).toBeVisible();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
        await page.screenshot({ path: `.data/screenshots/tables-${name}-${width}.png`, fullPage: true });
      });
    }
  });
}
