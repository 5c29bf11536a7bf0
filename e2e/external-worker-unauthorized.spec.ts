import { expect, test } from "./support/test";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { startExternalService, TYPE, type ExternalService } from "./support/external-service";

// A type registered by another service's worker is guarded like Runboard's own: triggering it
// needs jobs:write, whether from the page, a replayed action or the API.
let service: ExternalService;

test.beforeAll(async () => {
  service = await startExternalService();
});

test.afterAll(async () => {
  await service?.stop();
});

test("a member without jobs:write sees the registered type but cannot trigger it, by page, action or API", async ({ browser, request }) => {
  const member = await browser.newContext({ storageState: storageState("member") });
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const sql = e2eSql();
  try {
    const memberPage = await member.newPage();
    await memberPage.goto(`/projects/${PROJECT}/jobs`);
    const memberCard = memberPage.getByTestId(`job-type-${TYPE}`);
    await expect(memberCard.getByRole("heading", { name: "Send a greeting" })).toBeVisible();
    await expect(memberCard.getByRole("button", { name: "Run" })).toHaveCount(0);

    const adminPage = await admin.newPage();
    await adminPage.goto(`/projects/${PROJECT}/jobs`);
    const card = adminPage.getByTestId(`job-type-${TYPE}`);
    await card.getByLabel("Who to greet").fill("Mallory");
    const action = await captureServerAction(adminPage, () => card.getByRole("button", { name: "Run" }).click());

    const [memberRow] = await sql<{ id: string }[]>`select id from users where email = ${ACCOUNTS.member.email}`;
    const countRuns = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where job_type = ${TYPE} and payload->>'name' = 'Mallory'`)[0]!.n;
    const reply = await replayServerAction(member.request, action);
    expect(reply.text).toContain("You do not have permission to do that.");
    expect((await sql`select 1 from job_runs where triggered_by = ${memberRow!.id} and job_type = ${TYPE}`).length).toBe(0);

    // A key without jobs:write: 403, nothing created.
    const readOnly = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, scopes: ["jobs:read"], name: "read-only external" });
    const refused = await request.post(`/api/v1/projects/${PROJECT}/runs`, { headers: bearer(readOnly.key), data: { jobType: TYPE, payload: { name: "Mallory" } } });
    expect(refused.status()).toBe(403);
    expect(await countRuns()).toBe(0);
  } finally {
    await sql.end();
    await member.close();
    await admin.close();
  }
});
