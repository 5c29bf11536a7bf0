import { expect, test } from "./support/test";
import type postgres from "postgres";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

// Each test uses an account of its own: these flows sign sessions out and change passwords.
let sql: postgres.Sql;
test.beforeAll(() => {
  sql = e2eSql();
});
test.afterAll(async () => {
  await sql.end();
});

test("the account page changes the name, and a password change signs every other session out", async ({ browser }) => {
  const me = await createTeamUser(sql, "acme", "member", ["jobs:read"]);
  const desk = await signedIn(browser, me.email, me.password);
  const laptop = await signedIn(browser, me.email, me.password);
  const page = await desk.newPage();
  await page.goto("/projects");
  await page.locator('header a[href="/account"]').click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText(`Signed in as ${me.email}`)).toBeVisible();
  await expect(page.getByTestId("session-row")).toHaveCount(2);
  await expect(page.getByTestId("session-row").filter({ hasText: "this session" })).toHaveCount(1);

  const profile = page.getByRole("form", { name: "Your name" });
  await profile.getByLabel("Name").fill("Renamed Person");
  await profile.getByRole("button", { name: "Save name" }).click();
  await expect(profile.getByRole("status")).toHaveText("Your name is saved.");
  await expect(page.locator('header a[href="/account"]')).toContainText("Renamed Person");

  const password = page.getByRole("form", { name: "Change password" });
  await password.getByLabel("Current password").fill("not-the-password");
  await password.getByLabel("New password", { exact: true }).fill("a-new-password-1");
  await password.getByLabel("Repeat new password").fill("a-new-password-1");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByText("Your current password is not correct.")).toBeVisible();
  await expect(password.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");

  await password.getByLabel("Current password").fill(me.password);
  await password.getByLabel("New password", { exact: true }).fill("a-new-password-1");
  await password.getByLabel("Repeat new password").fill("a-different-one-2");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByText("The two new passwords differ.")).toBeVisible();

  await password.getByLabel("Current password").fill(me.password);
  await password.getByLabel("New password", { exact: true }).fill("a-new-password-1");
  await password.getByLabel("Repeat new password").fill("a-new-password-1");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByRole("status")).toHaveText("Password changed. 1 other session was signed out.");

  // The other browser is out; this one stays in.
  const other = await laptop.newPage();
  await other.goto("/projects");
  await expect(other).toHaveURL(/\/sign-in/);
  await page.goto("/projects");
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();

  // The old password no longer signs in; the new one does.
  const fresh = await browser.newContext();
  const signIn = await fresh.newPage();
  await signIn.goto("/sign-in");
  await signIn.getByLabel("Email").fill(me.email);
  await signIn.getByLabel("Password").fill(me.password);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await expect(signIn.getByText("That email and password do not match an account.")).toBeVisible();
  await (await signedIn(browser, me.email, "a-new-password-1")).close();
  await Promise.all([desk.close(), laptop.close(), fresh.close()]);
});

test("sign out every other session ends the others at once", async ({ browser }) => {
  const me = await createTeamUser(sql, "acme", "member");
  const phone = await signedIn(browser, me.email, me.password);
  const desk = await signedIn(browser, me.email, me.password);
  const page = await desk.newPage();
  await page.goto("/account");
  await expect(page.getByTestId("session-row")).toHaveCount(2);
  await page.getByRole("button", { name: "Sign out every other session" }).click();
  await expect(page.getByText("Signed out 1 other session.")).toBeVisible();
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Sign out every other session" })).toBeDisabled();
  const other = await phone.newPage();
  await other.goto("/account");
  await expect(other).toHaveURL(/\/sign-in/);
  await Promise.all([phone.close(), desk.close()]);
});

test("account page screenshots (1280 and 390 px)", async ({ browser }) => {
  const me = await createTeamUser(sql, "acme", "member");
  const context = await signedIn(browser, me.email, me.password);
  const page = await context.newPage();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/account");
    await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await page.screenshot({ path: `.data/screenshots/account-${width}.png`, fullPage: true });
  }
  await context.close();
});
