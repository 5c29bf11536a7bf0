import { allowConsoleError, expect, NOT_FOUND_PAGE, test } from "./support/test";
import { ACCOUNTS, storageState, type Role } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { createTeamUser } from "./support/users";

const PAGE = "/teams/acme/settings/api-keys";

test("a member, support and an outsider cannot see Acme's API keys page", async ({ browser }) => {
  allowConsoleError(NOT_FOUND_PAGE); // support and the outsider get the 404 page
  for (const role of ["member", "support", "outsider"] as Role[]) {
    const context = await browser.newContext({ storageState: storageState(role) });
    const page = await context.newPage();
    const response = await page.goto(PAGE);
    if (role === "member") {
      // A member of the team learns only that settings are for owners and admins.
      expect(response?.status(), role).toBe(200);
      await expect(page.getByText("You do not have permission to manage Acme.")).toBeVisible();
    } else {
      // Outside the team (support included: it reads runs, not team settings) the page does not exist.
      expect(response?.status(), role).toBe(404);
    }
    await expect(page.getByRole("heading", { name: "API keys" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Create key" })).toHaveCount(0);
    await context.close();
  }
  // The outsider manages their own team's keys, never Acme's.
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const page = await outsider.newPage();
  await page.goto("/teams/globex/settings/api-keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await outsider.close();
});

test("direct calls of the create and revoke actions by a member, an outsider or a signed-out visitor change nothing", async ({ browser, request }) => {
  const sql = e2eSql();
  const admin = await browser.newContext({ storageState: storageState("admin") });
  try {
    const target = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, name: "keep me" });
    const adminPage = await admin.newPage();
    await adminPage.goto(PAGE);
    await adminPage.getByLabel("Key name").fill("replayed key");
    const create = await captureServerAction(adminPage, () => adminPage.getByRole("button", { name: "Create key" }).click());
    await adminPage.goto(PAGE);
    adminPage.once("dialog", (dialog) => void dialog.accept());
    const revoke = await captureServerAction(adminPage, () => adminPage.getByTestId(`api-key-${target.prefix}`).getByRole("button", { name: "Revoke keep me" }).click());

    const countKeys = async () => (await sql<{ n: number }[]>`select count(*)::int as n from api_keys where name = 'replayed key'`)[0]!.n;
    for (const role of ["member", "outsider", "support"] as Role[]) {
      const context = await browser.newContext({ storageState: storageState(role) });
      for (const action of [create, revoke]) {
        const reply = await replayServerAction(context.request, action);
        expect(reply.status).toBe(200);
        expect(reply.text, role).toMatch(/"code":"(forbidden|not_found)"/);
        expect(reply.text).not.toMatch(/rb_[A-Za-z0-9]{8}_/);
      }
      await context.close();
    }
    for (const action of [create, revoke]) expect((await replayServerAction(request, action)).text).toContain("Sign in to continue.");

    expect(await countKeys()).toBe(0);
    const [row] = await sql<{ revoked_at: Date | null }[]>`select revoked_at from api_keys where id = ${target.id}`;
    expect(row!.revoked_at).toBeNull();
    expect((await request.get("/api/v1/projects", { headers: bearer(target.key) })).status()).toBe(200);

    // The admin's own replay works: the captured requests were real.
    const own = await replayServerAction(admin.request, revoke);
    expect(own.text).toContain('"ok":true');
    expect((await request.get("/api/v1/projects", { headers: bearer(target.key) })).status()).toBe(401);
  } finally {
    await admin.close();
    await sql.end();
  }
});

test("a key keeps only what its creator still holds: demoted, its writes are refused; removed from the team, it is refused everywhere (401)", async ({ request }) => {
  const sql = e2eSql();
  try {
    const slug = "keys-follow-creator";
    await ensureProject(sql, "acme", slug);
    const creator = await createTeamUser(sql, "acme", "admin");
    const { key } = await insertApiKey(sql, { team: "acme", createdBy: creator.email });
    const read = () => request.get(`/api/v1/projects/${slug}/runs`, { headers: bearer(key) });
    // A cancel of a run that does not exist: 404 once the permission check passes, 403 before.
    const write = () => request.post(`/api/v1/projects/${slug}/runs/${crypto.randomUUID()}/cancel`, { headers: bearer(key) });
    expect((await read()).status()).toBe(200);
    expect((await write()).status()).toBe(404);

    await sql`update team_members set role = 'member', grants = '{jobs:read}' from users where users.id = team_members.user_id and users.email = ${creator.email}`;
    expect((await read()).status()).toBe(200);
    const refused = await write();
    expect(refused.status()).toBe(403);
    expect((await refused.json()).error.message).toContain("its creator no longer holds it");

    await sql`delete from team_members using users where users.id = team_members.user_id and users.email = ${creator.email}`;
    expect((await read()).status()).toBe(401);
    expect((await write()).status()).toBe(401);
    expect((await request.get("/api/v1/projects", { headers: bearer(key) })).status()).toBe(401);
  } finally {
    await sql.end();
  }
});
