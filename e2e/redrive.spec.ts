import { expect, test, type Page } from "./support/test";
import { SECOND_PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";

/** The run page's "Attempts" field (a progress line such as "2 of 5" items must not match). */
const attemptsField = (page: Page) => page.locator("dl > div").filter({ has: page.locator("dt", { hasText: /^Attempts$/ }) }).locator("dd");

test("support re-drives a failed run; a member can neither see nor call re-drive; support cannot run jobs", async ({ browser }) => {
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const adminPage = await admin.newPage();
  await adminPage.goto(`/projects/${SECOND_PROJECT}/jobs`);
  const card = adminPage.getByTestId("job-type-contacts_import");
  await card.getByLabel("File (CSV or JSON)").setInputFiles({ name: "no-email.csv", mimeType: "text/csv", buffer: Buffer.from("name\nAda\n") });
  await card.getByRole("button", { name: "Run" }).click();
  await expect(adminPage).toHaveURL(/\/runs\//);
  await expect(adminPage.locator("[data-status=failed]")).toBeVisible({ timeout: 20_000 });
  const runPath = new URL(adminPage.url()).pathname;
  await admin.close();

  const support = await browser.newContext({ storageState: storageState("support") });
  const supportPage = await support.newPage();
  await supportPage.goto(`/projects/${SECOND_PROJECT}/jobs`);
  await expect(supportPage.getByTestId("job-type-contacts_import")).toBeVisible();
  await expect(supportPage.getByRole("button", { name: "Run" })).toHaveCount(0);
  await supportPage.goto(runPath);
  const redrive = supportPage.getByRole("button", { name: "Re-drive" });
  await expect(redrive).toBeVisible();
  // Support sees the stack a tenant never does.
  await expect(supportPage.getByRole("alert").filter({ hasText: "Error" }).locator("pre")).toContainText("readRecords");

  // The member: no button, and the captured request sent with the member's cookies is refused.
  const member = await browser.newContext({ storageState: storageState("member") });
  const memberPage = await member.newPage();
  await memberPage.goto(runPath);
  await expect(memberPage.locator("[data-status=failed]")).toBeVisible();
  await expect(memberPage.getByRole("button", { name: "Re-drive" })).toHaveCount(0);
  await expect(memberPage.getByRole("alert").filter({ hasText: "Error" }).locator("pre")).toHaveCount(0);
  const action = await captureServerAction(supportPage, () => redrive.click());
  const reply = await replayServerAction(member.request, action);
  expect(reply.text).toContain("You do not have permission to do that.");
  await memberPage.reload();
  await expect(attemptsField(memberPage)).toHaveText("1 of 3");

  // Support re-drives for real: a new attempt runs (and fails the same way on the same file).
  await supportPage.reload();
  await supportPage.getByRole("button", { name: "Re-drive" }).click();
  await expect(attemptsField(supportPage)).toHaveText(/^2 of \d+$/, { timeout: 20_000 });
  await expect(supportPage.locator("[data-status=failed]")).toBeVisible({ timeout: 20_000 });
  await expect(supportPage.getByRole("region", { name: "Steps" }).getByText("redrive")).toBeVisible();
  await support.close();
  await member.close();
});
