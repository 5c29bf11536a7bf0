import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";
import { e2eSql } from "./support/db";
import { ensureQueuesProject, QUEUES_PROJECT } from "./support/queues";

test.use({ storageState: storageState("admin") });
test.beforeAll(ensureQueuesProject);

test("an admin watches a job type's queue, pauses it (a run waits), resumes it (the run runs), and limits it", async ({ page }) => {
  const sql = e2eSql();
  try {
    await page.goto(`/projects/${QUEUES_PROJECT}/queues`);
    await expect(page.getByRole("heading", { name: "Queues" })).toBeVisible();
    const card = page.getByTestId("queue-demo_paced");
    await expect(card.getByTestId("queue-pending")).toHaveText("0");
    await expect(card.getByTestId("queue-workers")).not.toHaveText("0");

    await card.getByRole("button", { name: "Pause Demo: paced run" }).click();
    await expect(card.getByTestId("queue-badges")).toContainText("Paused");
    await expect(card.getByRole("button", { name: "Resume Demo: paced run" })).toBeVisible();

    // The jobs page says so, and still accepts a run, which waits.
    await page.goto(`/projects/${QUEUES_PROJECT}/jobs`);
    const jobCard = page.getByTestId("job-type-demo_paced");
    await expect(jobCard.getByRole("link", { name: "Paused" })).toBeVisible();
    await jobCard.getByLabel("Items").fill("2");
    await jobCard.getByLabel("Milliseconds per item").fill("50");
    await jobCard.getByRole("button", { name: "Run" }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
    const runId = new URL(page.url()).pathname.split("/").at(-1)!;
    // Well past the worker's one-second refresh: still pending, no attempt.
    await page.waitForTimeout(2500);
    const [held] = await sql<{ status: string; attempt_count: number }[]>`select status, attempt_count from job_runs where id = ${runId}`;
    expect(held).toEqual({ status: "pending", attempt_count: 0 });

    // The Queues page counts it (the poll moves the figure without a reload).
    await page.goto(`/projects/${QUEUES_PROJECT}/queues`);
    await expect(card.getByTestId("queue-pending")).toHaveText("1");
    await expect(card.getByTestId("queue-oldest")).not.toHaveText("—");
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `.data/screenshots/queues-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await card.getByRole("button", { name: "Resume Demo: paced run" }).click();
    await expect(card.getByTestId("queue-badges")).not.toContainText("Paused");
    await expect.poll(async () => (await sql<{ status: string }[]>`select status from job_runs where id = ${runId}`)[0]!.status, { timeout: 15_000 }).toBe("completed");
    // Counted by the next poll, with no reload.
    await expect(card.getByTestId("queue-pending")).toHaveText("0", { timeout: 15_000 });
    await expect(card.getByTestId("queue-throughput")).not.toHaveText("0", { timeout: 15_000 });
    const [ran] = await sql<{ attempt_count: number }[]>`select attempt_count from job_runs where id = ${runId}`;
    expect(ran!.attempt_count).toBe(1);

    // A limit: a bad value is refused with a reason and changes nothing; a good one shows.
    const limit = card.getByLabel("Concurrency limit of Demo: paced run");
    await limit.fill("0");
    await card.getByRole("button", { name: "Save limit" }).click();
    await expect(card.getByText("A limit is at least 1")).toBeVisible();
    await limit.fill("2");
    await card.getByRole("button", { name: "Save limit" }).click();
    await expect(card.getByTestId("queue-badges")).toContainText("Limit 2");
    await limit.fill("");
    await card.getByRole("button", { name: "Save limit" }).click();
    await expect(card.getByTestId("queue-badges")).not.toContainText("Limit");

    // Every change is audited, with who made it and what changed.
    const audit = await sql<{ details: { after: { paused: boolean; concurrencyLimit: number | null } } }[]>`
      select a.details from audit_events a join users u on u.id = a.actor_user_id
      where a.action = 'queue.control_changed' and u.email = 'admin@runboard.local' and a.details->>'projectSlug' = ${QUEUES_PROJECT}
      order by a.created_at`;
    expect(audit.map((a) => a.details.after)).toEqual([
      { paused: true, concurrencyLimit: null },
      { paused: false, concurrencyLimit: null },
      { paused: false, concurrencyLimit: 2 },
      { paused: false, concurrencyLimit: null },
    ]);
  } finally {
    await sql.end();
  }
});
