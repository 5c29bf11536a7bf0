import { expect, NOT_FOUND_PAGE, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { backfillRedactedRuns, e2eSql } from "./support/db";

// A project of its own in team Acme, so counts and bulk actions see only this spec's runs.
const SLUG = "acme-history";
const HISTORY = `/projects/${SLUG}/runs`;
const sql = e2eSql();
const ids: { pending: string[]; failed: string[]; completed: string[] } = { pending: [], failed: [], completed: [] };

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const [project] = await sql<{ id: string; team_id: string }[]>`
    insert into projects (team_id, slug, name) select id, ${SLUG}, 'Acme History' from teams where slug = 'acme'
    on conflict (slug) do update set name = excluded.name returning id, team_id`;
  await sql`delete from job_runs where project_id = ${project!.id}`;
  const [admin] = await sql<{ id: string }[]>`select id from users where email = 'admin@runboard.local'`;
  const insert = async (n: number, jobType: string, status: string, extra: { error?: string; minutesAgo: (i: number) => number }) => {
    const rows = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, error_message, triggered_by, queued_at, run_at, started_at, completed_at)
      select gen_random_uuid(), ${project!.team_id}, ${project!.id}, ${jobType}, ${status}, 1, 1,
        jsonb_build_object('items', 1, 'msPerItem', 10, 'days', 1, 'includeErrors', true), ${extra.error ?? null}, ${admin!.id},
        now() - (m * interval '1 minute'), now() + interval '1 day',
        case when ${status} <> 'pending' then now() - (m * interval '1 minute') end,
        case when ${status} not in ('pending', 'running') then now() - (m * interval '1 minute') + interval '3 seconds' end
      from unnest(${Array.from({ length: n }, (_, i) => extra.minutesAgo(i))}::int[]) m
      returning id`;
    return rows.map((r) => r.id);
  };
  // Completed runs share timestamps in pairs: paging must neither skip nor repeat them.
  ids.completed = await insert(30, "demo_paced", "completed", { minutesAgo: (i) => 10 + Math.floor(i / 2) });
  ids.failed = await insert(3, "runs_export", "failed", { error: "Upstream timed out after 30000 ms", minutesAgo: (i) => 5 + i });
  ids.pending = await insert(3, "demo_paced", "pending", { minutesAgo: (i) => 1 + i });
  await backfillRedactedRuns(sql);
});
test.afterAll(() => sql.end());

const rowIds = (page: Page) => page.getByTestId("history-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id")));
const statusOf = async (id: string) => (await sql<{ status: string }[]>`select status from job_runs where id = ${id}`)[0]!.status;

test.describe("as admin", () => {
  test.use({ storageState: storageState("admin") });

  test("the jobs page links to the full history", async ({ page }) => {
    await page.goto(`/projects/${SLUG}/jobs`);
    await page.getByRole("link", { name: "Full history →" }).click();
    await expect(page).toHaveURL(HISTORY);
    await expect(page.getByTestId("history-count")).toHaveText("36 runs");
  });

  test("filters by status, job type and search; the URL reproduces the view", async ({ page }) => {
    await page.goto(HISTORY);
    const filters = page.getByRole("search", { name: "Filter runs" });
    await filters.getByLabel("Failed").check();
    await filters.getByLabel("Export run history").check();
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/status=failed/);
    await expect(page).toHaveURL(/jobType=runs_export/);
    await expect(page.getByTestId("history-row")).toHaveCount(3);
    await expect(page.getByTestId("history-count")).toHaveText("3 runs match these filters");
    await page.reload();
    await expect(page.getByTestId("history-row")).toHaveCount(3);
    await expect(filters.getByLabel("Failed")).toBeChecked();
    expect(new Set(await rowIds(page))).toEqual(new Set(ids.failed));

    await page.goto(HISTORY);
    await filters.getByLabel("Search errors and payloads").fill("timed out");
    await filters.getByLabel("Search errors and payloads").press("Enter");
    await expect(page).toHaveURL(/q=timed\+out/);
    await expect(page.getByTestId("history-row")).toHaveCount(3);
    await expect(page.getByTestId("history-row").first()).toContainText("Upstream timed out");

    await page.goto(`${HISTORY}?q=nothing-matches-this`);
    await expect(page.getByTestId("history-empty")).toContainText("No runs match these filters");
    await page.getByRole("link", { name: "clear all filters" }).click();
    await expect(page.getByTestId("history-row")).toHaveCount(25);
  });

  test("pages forward and back by cursor without gaps or repeats", async ({ page }) => {
    await page.goto(`${HISTORY}?limit=10`);
    const seen: string[][] = [await rowIds(page).then((r) => r.map(String))];
    for (let i = 0; i < 3; i++) {
      await page.getByRole("link", { name: "Next →" }).click();
      await expect(page).toHaveURL(/cursor=/);
      await expect(page.getByTestId("history-row").first()).not.toHaveAttribute("data-run-id", seen.at(-1)![0]!);
      seen.push((await rowIds(page)).map(String));
    }
    expect(seen.map((p) => p.length)).toEqual([10, 10, 10, 6]);
    expect(new Set(seen.flat()).size).toBe(36);
    await expect(page.getByRole("link", { name: "Next →" })).toHaveCount(0);
    await page.getByRole("link", { name: "← Previous" }).click();
    await expect(page.getByTestId("history-row").first()).toHaveAttribute("data-run-id", seen[2]![0]!);
    expect((await rowIds(page)).map(String)).toEqual(seen[2]);
    await page.reload();
    expect((await rowIds(page)).map(String)).toEqual(seen[2]);
  });
});

test("a member with jobs:read sees history without bulk actions, and a replayed bulk cancel changes nothing", async ({ browser }) => {
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const member = await browser.newContext({ storageState: storageState("member") });
  try {
    const memberPage = await member.newPage();
    await memberPage.goto(`${HISTORY}?status=pending`);
    await expect(memberPage.getByTestId("history-row")).toHaveCount(3);
    await expect(memberPage.getByRole("button", { name: "Cancel selected" })).toHaveCount(0);
    await expect(memberPage.getByRole("button", { name: "Retry selected" })).toHaveCount(0);
    await expect(memberPage.getByRole("checkbox", { name: /Select run/ })).toHaveCount(0);

    // The admin's own request, captured before it reaches the server, replayed as the member.
    const adminPage = await admin.newPage();
    await adminPage.goto(`${HISTORY}?status=pending`);
    await adminPage.getByRole("checkbox", { name: "Select all runs on this page" }).check();
    const action = await captureServerAction(adminPage, () => adminPage.getByRole("button", { name: "Cancel selected" }).click());
    const reply = await replayServerAction(member.request, action);
    expect(reply.text).toContain("You do not have permission to do that.");
    for (const id of ids.pending) expect(await statusOf(id)).toBe("pending");

    // The monitor's action too: the member may read Acme's projects but not write them.
    await adminPage.goto(`/runs?status=pending`);
    await adminPage.getByRole("checkbox", { name: "Select all runs on this page" }).check();
    const monitorAction = await captureServerAction(adminPage, () => adminPage.getByRole("button", { name: "Cancel selected" }).click());
    const monitorReply = await replayServerAction(member.request, monitorAction);
    expect(monitorReply.text).toContain("forbidden");
    for (const id of ids.pending) expect(await statusOf(id)).toBe("pending");
  } finally {
    await admin.close();
    await member.close();
  }
});

test.describe("bulk actions as admin", () => {
  test.use({ storageState: storageState("admin") });

  test("bulk cancel of selected pending runs", async ({ page }) => {
    await page.goto(`${HISTORY}?status=pending`);
    await page.getByRole("checkbox", { name: "Select all runs on this page" }).check();
    await expect(page.getByText("3 selected")).toBeVisible();
    await page.getByRole("button", { name: "Cancel selected" }).click();
    await expect(page.getByTestId("bulk-result")).toHaveText("3 cancelled");
    for (const id of ids.pending) expect(await statusOf(id)).toBe("cancelled");
    await expect(page.getByTestId("history-empty")).toBeVisible();
  });

  test("bulk retry of failed runs from the monitor, with the project column; a run its type's overlap rule refuses is skipped, saying why", async ({ page }) => {
    // runs_export allows one active run per project: a pending run (not due for a day) holds the slot.
    const [holder] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, exclusive_key, run_at)
      select gen_random_uuid(), team_id, id, 'runs_export', 'pending', 3, '{"days":1,"includeErrors":true}', id || ':runs_export', now() + interval '1 day'
      from projects where slug = ${SLUG} returning id`;
    await page.goto(`/runs?status=failed&jobType=runs_export&q=Upstream+timed`);
    await expect(page.getByTestId("history-row")).toHaveCount(3);
    await expect(page.getByRole("link", { name: "Acme History" }).first()).toBeVisible();
    await page.getByRole("checkbox", { name: `Select run ${ids.failed[0]!.slice(0, 8)}` }).check();
    await page.getByRole("checkbox", { name: `Select run ${ids.failed[1]!.slice(0, 8)}` }).check();
    await page.getByRole("button", { name: "Retry selected" }).click();
    const result = page.getByTestId("bulk-result");
    await expect(result).toContainText("2 skipped");
    await expect(result.getByRole("listitem")).toHaveText([ids.failed[0]!, ids.failed[1]!].map((id) => `${id.slice(0, 8)}: Export run history is already running for this project. (run ${holder!.id.slice(0, 8)} holds it)`));
    expect(await statusOf(ids.failed[0]!)).toBe("failed");

    // Once the slot is free, the retry goes through.
    await sql`update job_runs set status = 'cancelled', completed_at = now() where id = ${holder!.id}`;
    await page.reload();
    await page.getByRole("checkbox", { name: `Select run ${ids.failed[0]!.slice(0, 8)}` }).check();
    await page.getByRole("button", { name: "Retry selected" }).click();
    await expect(page.getByTestId("bulk-result")).toHaveText("1 retried");
    expect(await statusOf(ids.failed[0]!)).not.toBe("failed");
    expect(await statusOf(ids.failed[1]!)).toBe("failed");
    expect(await statusOf(ids.failed[2]!)).toBe("failed");
  });
});

test.describe("as a user of another team", () => {
  test.use({ storageState: storageState("outsider"), allowConsoleErrors: NOT_FOUND_PAGE }); // the 404 page is the point

  test("gets not found for the project's history, and the monitor shows none of its runs", async ({ page }) => {
    expect((await page.goto(HISTORY))?.status()).toBe(404);
    await page.goto(`/runs?q=Upstream+timed`);
    await expect(page.getByTestId("history-row")).toHaveCount(0);
  });
});
