import { randomUUID } from "node:crypto";
import { expect, test } from "./support/test";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

test("a copied session cookie stops working once its owner signs out", async ({ browser }) => {
  const sql = e2eSql();
  const me = await createTeamUser(sql, "acme", "admin");
  await sql.end();
  const mine = await signedIn(browser, me.email, me.password);
  // Someone copies the cookie into another browser: it works, as the real one does.
  const thief = await browser.newContext();
  await thief.addCookies(await mine.cookies());
  const stolen = await thief.newPage();
  await stolen.goto("/projects");
  await expect(stolen.getByRole("heading", { name: "Projects" })).toBeVisible();
  const poll = `/api/projects/acme-app/runs/${randomUUID()}`;
  expect((await thief.request.get(poll)).status()).toBe(404);

  const page = await mine.newPage();
  await page.goto("/projects");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);

  // The copy still carries a well-signed cookie, but its session row is revoked.
  const cookies = await thief.cookies();
  expect(cookies.some((c) => c.name.endsWith("authjs.session-token"))).toBe(true);
  await stolen.goto("/projects");
  await expect(stolen).toHaveURL(/\/sign-in/);
  await stolen.goto("/account");
  await expect(stolen).toHaveURL(/\/sign-in/);
  expect((await thief.request.get(poll)).status()).toBe(401);
  await Promise.all([mine.close(), thief.close()]);
});
