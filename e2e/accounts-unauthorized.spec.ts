import { allowConsoleError, expect, NOT_FOUND_PAGE, test } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

const OWNER = { email: "owner@runboard.local", password: "runboard-owner" };

test("the Users page does not exist for anyone but the instance owner", async ({ browser }) => {
  allowConsoleError(NOT_FOUND_PAGE); // /users answers 404 to each of them
  for (const role of ["admin", "member", "support"] as const) {
    const context = await browser.newContext({ storageState: storageState(role) });
    const page = await context.newPage();
    const response = await page.goto("/users");
    expect(response?.status(), role).toBe(404);
    await page.goto("/projects");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);
    await context.close();
  }
  const anonymous = await browser.newContext();
  const page = await anonymous.newPage();
  for (const path of ["/users", "/account"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/sign-in\?callbackUrl=/);
  }
  await anonymous.close();
});

test("the disable action replayed by a team admin, support or a signed-out visitor disables no one", async ({ browser }) => {
  const sql = e2eSql();
  const target = await createTeamUser(sql, "acme", "member");
  const owner = await signedIn(browser, OWNER.email, OWNER.password);
  const page = await owner.newPage();
  await page.goto(`/users?q=${encodeURIComponent(target.email)}`);
  page.once("dialog", (dialog) => void dialog.accept());
  const action = await captureServerAction(page, () => page.getByRole("button", { name: `Disable ${target.email}` }).click());
  for (const who of ["admin", "support", null] as const) {
    const context = await browser.newContext(who ? { storageState: storageState(who) } : {});
    const { status, text } = await replayServerAction(context.request, action);
    expect(status, `${who}: ${text.slice(0, 200)}`).toBeLessThan(500);
    expect(text).not.toContain(`Disabled ${target.email}`);
    await context.close();
  }
  const [row] = await sql<{ disabled_at: Date | null }[]>`select disabled_at from users where id = ${target.id}`;
  expect(row!.disabled_at).toBeNull();
  expect(await sql`select 1 from audit_events where subject_user_id = ${target.id}`).toHaveLength(0);
  await owner.close();
  await sql.end();
});

test("account actions act on the caller's own account: a replay by someone else or signed out changes nothing of mine", async ({ browser }) => {
  const sql = e2eSql();
  const me = await createTeamUser(sql, "acme", "member");
  const other = await createTeamUser(sql, "acme", "member");
  const mine = await signedIn(browser, me.email, me.password);
  const myOther = await signedIn(browser, me.email, me.password);
  const page = await mine.newPage();
  await page.goto("/account");
  const rename = await captureServerAction(page, async () => {
    await page.getByRole("form", { name: "Your name" }).getByLabel("Name").fill("Hijacked Name");
    await page.getByRole("button", { name: "Save name" }).click();
  });
  await page.goto("/account");
  const signOutOthers = await captureServerAction(page, () => page.getByRole("button", { name: "Sign out every other session" }).click());

  const theirs = await signedIn(browser, other.email, other.password);
  const anonymous = await browser.newContext();
  for (const context of [theirs, anonymous]) {
    for (const action of [rename, signOutOthers]) {
      const { status } = await replayServerAction(context.request, action);
      expect(status).toBeLessThan(500);
    }
  }
  const [row] = await sql<{ name: string }[]>`select name from users where id = ${me.id}`;
  expect(row!.name).not.toBe("Hijacked Name");
  // My other session is still signed in.
  const check = await myOther.newPage();
  await check.goto("/account");
  await expect(check.getByRole("heading", { name: "Your account" })).toBeVisible();
  await Promise.all([mine.close(), myOther.close(), theirs.close(), anonymous.close()]);
  await sql.end();
});
