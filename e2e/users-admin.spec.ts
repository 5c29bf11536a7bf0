import { expect, test } from "./support/test";
import type postgres from "postgres";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };

let sql: postgres.Sql;
test.beforeAll(() => {
  sql = e2eSql();
});
test.afterAll(async () => {
  await sql.end();
});

test("the instance owner disables a user: their session and API key stop at once; enabling lets them sign in again", async ({ browser, playwright }) => {
  const victim = await createTeamUser(sql, "acme", "admin");
  const key = await insertApiKey(sql, { team: "acme", createdBy: victim.email, name: "victim key" });
  const api = await playwright.request.newContext({ baseURL: process.env.E2E_BASE_URL });
  expect((await api.get("/api/v1/projects", { headers: bearer(key.key) })).status()).toBe(200);
  const theirs = await signedIn(browser, victim.email, victim.password);

  const owner = await signedIn(browser, OWNER.email, OWNER.password);
  const page = await owner.newPage();
  await page.goto("/projects");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  await page.getByPlaceholder("Email starts with…").fill(victim.email);
  await page.getByRole("button", { name: "Find" }).click();
  const row = page.getByTestId("user-row").filter({ hasText: victim.email });
  await expect(row).toContainText("active");
  // The owner's own row has no button: one cannot lock oneself out.
  await page.goto(`/users?q=${encodeURIComponent(OWNER.email)}`);
  await expect(page.getByTestId("user-row").filter({ hasText: OWNER.email })).toContainText("you");
  await page.goto(`/users?q=${encodeURIComponent(victim.email)}`);

  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: `Disable ${victim.email}` }).click();
  await expect(row.getByRole("status")).toHaveText(`Disabled ${victim.email}: 1 session ended, API keys stopped.`);
  await expect(row).toContainText("disabled");

  const theirPage = await theirs.newPage();
  await theirPage.goto("/projects");
  await expect(theirPage).toHaveURL(/\/sign-in/);
  expect((await api.get("/api/v1/projects", { headers: bearer(key.key) })).status()).toBe(401);
  await theirPage.getByLabel("Email").fill(victim.email);
  await theirPage.getByLabel("Password").fill(victim.password);
  await theirPage.getByRole("button", { name: "Sign in" }).click();
  await expect(theirPage.getByText("This account is disabled. Ask your Runboard administrator to enable it.")).toBeVisible();
  const [audit] = await sql<{ actor: string }[]>`select u.email as actor from audit_events a join users u on u.id = a.actor_user_id join users s on s.id = a.subject_user_id where a.action = 'user.disabled' and s.email = ${victim.email}`;
  expect(audit?.actor).toBe(OWNER.email);

  await row.getByRole("button", { name: `Enable ${victim.email}` }).click();
  await expect(row.getByRole("status")).toHaveText(`Enabled ${victim.email}: they can sign in again.`);
  expect((await api.get("/api/v1/projects", { headers: bearer(key.key) })).status()).toBe(200);
  await (await signedIn(browser, victim.email, victim.password)).close();

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/users");
    await page.screenshot({ path: `.data/screenshots/users-${width}.png`, fullPage: true });
  }
  await Promise.all([owner.close(), theirs.close(), api.dispose()]);
});
