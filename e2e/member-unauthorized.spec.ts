import { expect, test } from "./support/test";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { e2eSql } from "./support/db";

test("a member with only jobs:read sees runs but no Run button, and a direct trigger call is refused", async ({ browser }) => {
  const member = await browser.newContext({ storageState: storageState("member") });
  const memberPage = await member.newPage();
  await memberPage.goto(`/projects/${PROJECT}/jobs`);
  await expect(memberPage.getByRole("heading", { name: "Job types" })).toBeVisible();
  await expect(memberPage.getByTestId("job-type-demo_paced")).toBeVisible();
  await expect(memberPage.getByRole("button", { name: "Run" })).toHaveCount(0);
  await expect(memberPage.getByText("running jobs needs the jobs:write permission")).toBeVisible();

  // Capture the real trigger request from an admin's form (stopped before it reaches the server)...
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const adminPage = await admin.newPage();
  await adminPage.goto(`/projects/${PROJECT}/jobs`);
  const card = adminPage.getByTestId("job-type-demo_paced");
  await card.getByLabel("Items").fill("3");
  const action = await captureServerAction(adminPage, () => card.getByRole("button", { name: "Run" }).click());

  // ...and send it as the member.
  const sql = e2eSql();
  try {
    const [memberRow] = await sql<{ id: string }[]>`select id from users where email = 'member@runboard.local'`;
    const memberId = memberRow!.id;
    const countRuns = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where triggered_by = ${memberId}`)[0]!.n;
    const before = await countRuns();
    const reply = await replayServerAction(member.request, action);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain("You do not have permission to do that.");
    expect(reply.text).toContain("forbidden");
    expect(await countRuns()).toBe(before);
    expect((await sql`select 1 from job_runs where triggered_by = ${memberId}`).length).toBe(0);
  } finally {
    await sql.end();
    await member.close();
    await admin.close();
  }
});

test("signed out, the trigger action refuses and pages send you to sign in", async ({ browser, request }) => {
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const page = await admin.newPage();
  await page.goto(`/projects/${PROJECT}/jobs`);
  const action = await captureServerAction(page, () => page.getByTestId("job-type-demo_paced").getByRole("button", { name: "Run" }).click());
  await admin.close();
  const reply = await replayServerAction(request, action);
  expect(reply.text).toContain("Sign in to continue.");

  const anonymous = await browser.newContext();
  const anonPage = await anonymous.newPage();
  await anonPage.goto(`/projects/${PROJECT}/jobs?cursor=x`);
  await expect(anonPage).toHaveURL(/\/sign-in\?callbackUrl=%2Fprojects%2Facme-app%2Fjobs%3Fcursor%3Dx$/);
  const api = await anonPage.request.get(`/api/projects/${PROJECT}/runs/00000000-0000-4000-8000-000000000000`);
  expect(api.status()).toBe(401);
  // Signing in there leads back to the page that was asked for; a wrong password says so.
  await anonPage.getByLabel("Email").fill(ACCOUNTS.admin.email);
  await anonPage.getByLabel("Password").fill("not-the-password");
  await anonPage.getByRole("button", { name: "Sign in" }).click();
  await expect(anonPage.getByText("That email and password do not match an account.")).toBeVisible();
  // The email typed stays in the form after a failed attempt.
  await expect(anonPage.getByLabel("Email")).toHaveValue(ACCOUNTS.admin.email);
  await anonPage.getByLabel("Password").fill(ACCOUNTS.admin.password);
  await anonPage.getByRole("button", { name: "Sign in" }).click();
  await expect(anonPage).toHaveURL(new RegExp(`/projects/${PROJECT}/jobs\\?cursor=x$`));
  await anonymous.close();
});
