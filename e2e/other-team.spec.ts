import { expect, NOT_FOUND_PAGE, test } from "./support/test";
import { OUTSIDER_PROJECT, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { e2eSql } from "./support/db";

// The outsider is sent to Acme's 404 pages on purpose (Chromium logs each as a failed load).
test.use({ allowConsoleErrors: NOT_FOUND_PAGE });

test("a user of another team gets not-found for the project, its runs, files and actions", async ({ browser }) => {
  const sql = e2eSql();
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const page = await outsider.newPage();
  try {
    const [project] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${PROJECT}`;
    // An Acme run and file of our own making, so the ids are real whatever ran before.
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, attempt_count, completed_at)
      values (gen_random_uuid(), ${project!.team_id}, ${project!.id}, 'demo_paced', 'failed', 1, '{}', 1, now()) returning id`;
    const [file] = await sql<{ id: string }[]>`
      insert into files (project_id, name, content_type, size_bytes, content) values (${project!.id}, 'secret.csv', 'text/csv', 3, ${Buffer.from("a,b")}) returning id`;
    const runId = run!.id;
    await page.goto("/projects");
    await expect(page.getByRole("link", { name: /Globex Site/ })).toBeVisible();
    await expect(page.getByRole("link", { name: /Acme App/ })).toHaveCount(0);

    expect((await page.goto(`/projects/${PROJECT}/jobs`))?.status()).toBe(404);
    expect((await page.goto(`/projects/${PROJECT}/runs/${runId}`))?.status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/runs/${runId}`)).status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/files/${file!.id}`)).status()).toBe(404);
    // Their own project's slug with Acme's ids: the run and file are scoped to the project too.
    expect((await page.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}`))?.status()).toBe(404);
    expect((await page.request.get(`/api/projects/${OUTSIDER_PROJECT}/runs/${runId}`)).status()).toBe(404);
    expect((await page.request.get(`/api/projects/${OUTSIDER_PROJECT}/files/${file!.id}`)).status()).toBe(404);

    // The outsider's own trigger request, pointed at the other team's project.
    await page.goto(`/projects/${OUTSIDER_PROJECT}/jobs`);
    const action = await captureServerAction(page, () => page.getByTestId("job-type-demo_paced").getByRole("button", { name: "Run" }).click());
    const body = action.body.toString("latin1").replaceAll(OUTSIDER_PROJECT, PROJECT);
    const before = (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where project_id = ${project!.id}`)[0]!.n;
    const reply = await replayServerAction(outsider.request, { ...action, body: Buffer.from(body, "latin1") });
    expect(reply.text).toContain("Not found.");
    const after = (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where project_id = ${project!.id}`)[0]!.n;
    expect(after).toBe(before);
  } finally {
    await sql.end();
    await outsider.close();
  }
});
