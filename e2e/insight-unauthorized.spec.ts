import { expect, NOT_FOUND_PAGE, test } from "./support/test";
import { OUTSIDER_PROJECT, PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

// Every test here is sent to 404 pages on purpose (Chromium logs each as a failed load).
test.use({ allowConsoleErrors: NOT_FOUND_PAGE });

async function acmeRun(sql: ReturnType<typeof e2eSql>): Promise<{ runId: string; resourceId: string }> {
  const resourceId = crypto.randomUUID();
  const [run] = await sql<{ id: string }[]>`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, resource_type, resource_id, queued_at, completed_at)
    select gen_random_uuid(), team_id, id, 'demo_paced', 'completed', 1, '{}', 'file', ${resourceId}, now() - interval '1 day', now() - interval '1 day' from projects where slug = ${PROJECT} returning id`;
  return { runId: run!.id, resourceId };
}

test("a member without jobs:read gets not-found for the run page, resource runs and insights, and 403 from the poll", async ({ browser }) => {
  const sql = e2eSql();
  try {
    const { runId, resourceId } = await acmeRun(sql);
    const user = await createTeamUser(sql, "acme", "member");
    const context = await signedIn(browser, user.email, user.password);
    const page = await context.newPage();
    expect((await page.goto(`/projects/${PROJECT}/runs/${runId}`))?.status()).toBe(404);
    expect((await page.goto(`/projects/${PROJECT}/resources/file/${resourceId}`))?.status()).toBe(404);
    expect((await page.goto(`/projects/${PROJECT}/insights`))?.status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/runs/${runId}`)).status()).toBe(403);
    expect((await page.goto("/errors"))?.status()).toBe(404);
    expect((await page.goto("/outbox"))?.status()).toBe(404);

    // Granted jobs:read on the next request (read from the database): the same pages open.
    await sql`update team_members set grants = '{jobs:read}' where user_id = ${user.id}`;
    expect((await page.goto(`/projects/${PROJECT}/insights`))?.status()).toBe(200);
    expect((await page.goto(`/projects/${PROJECT}/resources/file/${resourceId}`))?.status()).toBe(200);
    expect((await page.request.get(`/api/projects/${PROJECT}/runs/${runId}`)).status()).toBe(200);
    await context.close();
  } finally {
    await sql.end();
  }
});

test("a user of another team gets not-found for the run's resource page, insights and poll", async ({ browser }) => {
  const sql = e2eSql();
  try {
    const { runId, resourceId } = await acmeRun(sql);
    const context = await browser.newContext({ storageState: storageState("outsider") });
    const page = await context.newPage();
    expect((await page.goto(`/projects/${PROJECT}/insights`))?.status()).toBe(404);
    expect((await page.goto(`/projects/${PROJECT}/resources/file/${resourceId}`))?.status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/runs/${runId}`)).status()).toBe(404);
    // Their own project with Acme's resource id: nothing of Acme's is listed.
    await page.goto(`/projects/${OUTSIDER_PROJECT}/resources/file/${resourceId}`);
    await expect(page.getByText("No runs of this project worked on this resource.")).toBeVisible();
    await context.close();
  } finally {
    await sql.end();
  }
});

for (const role of ["admin", "member", "outsider"] as const) {
  test(`the error explorer and the outbox do not exist for a team ${role}`, async ({ browser }) => {
    const context = await browser.newContext({ storageState: storageState(role) });
    const page = await context.newPage();
    expect((await page.goto("/errors"))?.status()).toBe(404);
    expect((await page.goto("/errors?range=7d&jobType=demo_paced&subType=x"))?.status()).toBe(404);
    expect((await page.goto("/outbox?status=unsent"))?.status()).toBe(404);
    await context.close();
  });
}
