import { expect, test } from "./support/test";
import type postgres from "postgres";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

let sql: postgres.Sql;
test.beforeAll(() => {
  sql = e2eSql();
});
test.afterAll(async () => {
  await sql.end();
});

const resetMails = (email: string) => sql<{ body_text: string }[]>`select body_text from notifications where kind = 'password_reset' and lower(to_email) = lower(${email}) order by created_at desc`;

test("forgot password: the same answer for any address, a single-use link from the outbox, and every session signed out", async ({ browser }) => {
  const me = await createTeamUser(sql, "acme", "member");
  const elsewhere = await signedIn(browser, me.email, me.password);
  const context = await browser.newContext();
  const page = await context.newPage();

  // An address without an account: the same words, and no email is written.
  const nobody = `nobody.${Date.now().toString(36)}@example.test`;
  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await page.getByLabel("Email").fill(nobody);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await expect(page.getByRole("status")).toHaveText(`If ${nobody} belongs to an account, a link to choose a new password is on its way. It works once, for 30 minutes.`);
  expect(await resetMails(nobody)).toHaveLength(0);

  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(me.email);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await expect(page.getByRole("status")).toHaveText(`If ${me.email} belongs to an account, a link to choose a new password is on its way. It works once, for 30 minutes.`);
  const [mail] = await resetMails(me.email);
  const link = mail?.body_text.match(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, mail?.body_text).toBeTruthy();
  const token = link!.split("/").at(-1)!;
  // Only the token's hash is in the database.
  const [stored] = await sql<{ token_hash: string }[]>`select t.token_hash from password_reset_tokens t join users u on u.id = t.user_id where u.email = ${me.email}`;
  expect(stored!.token_hash).not.toContain(token);

  await page.goto(link!);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expect(page.getByText(`For ${me.email}.`)).toBeVisible();
  await page.getByLabel("New password", { exact: true }).fill("reset-password-1");
  await page.getByLabel("Repeat new password").fill("reset-password-2");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByText("The two passwords differ.")).toBeVisible();
  await page.getByLabel("New password", { exact: true }).fill("reset-password-1");
  await page.getByLabel("Repeat new password").fill("reset-password-1");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(/\/sign-in\?reset=done$/);
  await expect(page.getByRole("status")).toContainText("Your password is changed and every session was signed out.");

  // The browser that was signed in before is out; the new password works, the old one not.
  const before = await elsewhere.newPage();
  await before.goto("/projects");
  await expect(before).toHaveURL(/\/sign-in/);
  await page.getByLabel("Email").fill(me.email);
  await page.getByLabel("Password").fill(me.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("That email and password do not match an account.")).toBeVisible();
  await (await signedIn(browser, me.email, "reset-password-1")).close();

  // The link works once.
  const again = await browser.newContext();
  const reuse = await again.newPage();
  await reuse.goto(link!);
  await expect(reuse.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
  await expect(reuse.getByText("This reset link has been used already.")).toBeVisible();
  await reuse.goto("/reset-password/not-a-real-token-at-all-0000");
  await expect(reuse.getByText("This reset link is not valid.")).toBeVisible();
  await Promise.all([elsewhere.close(), context.close(), again.close()]);
});

test("reset pages screenshots (1280 and 390 px)", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/forgot-password");
    await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
    await page.screenshot({ path: `.data/screenshots/forgot-${width}.png`, fullPage: true });
  }
  await context.close();
});
