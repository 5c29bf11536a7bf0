import { expect, test } from "@playwright/test";
import { OUTSIDER_PROJECT, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { e2eSql } from "./support/db";

test("a user of another team gets not-found for the project, its runs, files and actions", async ({ browser }) => {
  const sql = e2eSql();
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const page = await outsider.newPage();
  try {
    const [project] = await sql<{ id: string }[]>`select id from projects where slug = ${PROJECT}`;
    const [run] = await sql<{ id: string }[]>`select id from job_runs where project_id = ${project!.id} order by queued_at desc limit 1`;
    const runId = run?.id ?? "00000000-0000-4000-8000-000000000000";

    await page.goto("/projects");
    await expect(page.getByRole("link", { name: /Globex Site/ })).toBeVisible();
    await expect(page.getByRole("link", { name: /Acme App/ })).toHaveCount(0);

    expect((await page.goto(`/projects/${PROJECT}/jobs`))?.status()).toBe(404);
    expect((await page.goto(`/projects/${PROJECT}/runs/${runId}`))?.status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/runs/${runId}`)).status()).toBe(404);
    expect((await page.request.get(`/api/projects/${PROJECT}/files/00000000-0000-4000-8000-000000000000`)).status()).toBe(404);

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
