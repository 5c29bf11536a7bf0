import { expect, test } from "./support/test";
import { ACCOUNTS, OUTSIDER_PROJECT, PROJECT, storageState } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { TEAM } from "./support/team";

// The outsider is sent to a 404 page, which the browser logs as a failed load.
test.use({ allowConsoleErrors: /status of 404/ });
// Three browser contexts, each loading pages cold.
test.describe.configure({ timeout: 120_000 });

/** A finished demo_paced run of Acme's project, inserted as the worker would leave it. */
async function finishedAcmeRun(): Promise<string> {
  const sql = e2eSql();
  try {
    const payload = { items: 4, msPerItem: 10 };
    const [row] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, payload_public, completed_at)
      select gen_random_uuid(), p.team_id, p.id, 'demo_paced', 'completed', 1, ${sql.json(payload)}, ${sql.json(payload)}, now()
      from projects p where p.slug = ${PROJECT} returning id`;
    return row!.id;
  } finally {
    await sql.end();
  }
}

test("Run again with changes: a jobs:read member gets no form or button, another team's admin a 404, a signed-out visitor the sign-in page", async ({ browser }) => {
  const runId = await finishedAcmeRun();
  const rerun = `/projects/${PROJECT}/runs/${runId}/rerun`;

  const member = await browser.newContext({ storageState: storageState("member") });
  const memberPage = await member.newPage();
  await memberPage.goto(`/projects/${PROJECT}/runs/${runId}`);
  await expect(memberPage.locator("[data-status=completed]")).toBeVisible();
  await expect(memberPage.getByRole("link", { name: "Run again with changes" })).toHaveCount(0);
  await memberPage.goto(rerun);
  await expect(memberPage.getByText("Running jobs needs the jobs:write permission.")).toBeVisible();
  await expect(memberPage.getByRole("button", { name: "Run" })).toHaveCount(0);
  await expect(memberPage.getByLabel("Items")).toHaveCount(0);
  await member.close();

  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const outsiderPage = await outsider.newPage();
  const response = await outsiderPage.goto(rerun);
  expect(response?.status()).toBe(404);
  await expect(outsiderPage.getByLabel("Items")).toHaveCount(0);
  // Their own project, another team's run id: not found either.
  expect((await outsiderPage.goto(`/projects/${OUTSIDER_PROJECT}/runs/${runId}/rerun`))?.status()).toBe(404);
  await outsider.close();

  const signedOut = await browser.newContext();
  const signedOutPage = await signedOut.newPage();
  await signedOutPage.goto(rerun);
  await expect(signedOutPage).toHaveURL(/\/sign-in\?callbackUrl=/);
  await signedOut.close();
});

test("REST runAt: another team's key, a read-only key and no key cannot schedule a run; nothing is created", async ({ request }) => {
  const sql = e2eSql();
  try {
    const countRuns = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where project_id = (select id from projects where slug = ${PROJECT})`)[0]!.n;
    const before = await countRuns();
    const body = { jobType: "demo_paced", payload: { items: 1 }, runAt: new Date(Date.now() + 60 * 60_000).toISOString() };
    const url = `/api/v1/projects/${PROJECT}/runs`;
    const readOnly = await insertApiKey(sql, { team: TEAM, createdBy: ACCOUNTS.admin.email, scopes: ["jobs:read"] });
    const otherTeam = await insertApiKey(sql, { team: "globex", createdBy: ACCOUNTS.outsider.email });
    expect((await request.post(url, { data: body })).status()).toBe(401);
    expect((await request.post(url, { headers: bearer(readOnly.key), data: body })).status()).toBe(403);
    expect((await request.post(url, { headers: bearer(otherTeam.key), data: body })).status()).toBe(404);
    // Retry now on a run that is not waiting, by the other team's key: 404, not 409 (no hint it exists).
    const runId = await finishedAcmeRun();
    expect((await request.post(`${url}/${runId}/retry-now`, { headers: bearer(otherTeam.key) })).status()).toBe(404);
    expect((await request.post(`${url}/not-a-uuid/retry-now`, { headers: bearer(readOnly.key) })).status()).toBeGreaterThanOrEqual(403);
    expect(await countRuns()).toBe(before + 1);
  } finally {
    await sql.end();
  }
});
