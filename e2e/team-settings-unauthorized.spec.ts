import { allowConsoleError, expect, NOT_FOUND_PAGE, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { e2eSql } from "./support/db";
import { seedAcmeMember, TEAM } from "./support/team";

test("a member without team:manage sees only a message on the settings pages", async ({ browser }) => {
  const member = await browser.newContext({ storageState: storageState("member") });
  const page = await member.newPage();
  for (const path of [`/teams/${TEAM}/settings`, `/teams/${TEAM}/settings/audit`]) {
    const response = await page.goto(path);
    expect(response?.status()).toBe(200);
    await expect(page.getByText("You do not have permission to manage Acme.")).toBeVisible();
    await expect(page.getByTestId("member-row")).toHaveCount(0);
    await expect(page.getByTestId("audit-event")).toHaveCount(0);
    await expect(page.getByRole("form", { name: "Invite someone" })).toHaveCount(0);
    await expect(page.getByRole("navigation", { name: "Team settings" })).toHaveCount(0);
    // Nothing of the settings reaches the browser in any form (HTML or RSC payload).
    const html = await (await page.request.get(path)).text();
    expect(html).not.toContain("admin@runboard.local");
  }
  await page.goto("/projects");
  await expect(page.getByRole("list", { name: "Your teams" })).toContainText("Acme (member)");
  await expect(page.getByRole("link", { name: "Team settings" })).toHaveCount(0);
  await member.close();
});

test("every settings action replayed by a member, an outsider or a signed-out visitor changes nothing", async ({ browser }) => {
  const sql = e2eSql();
  const victim = await seedAcmeMember(sql, "Vic Victim");
  const invitee = `pending.${Date.now().toString(36)}@example.test`;
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const member = await browser.newContext({ storageState: storageState("member") });
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const anonymous = await browser.newContext();
  try {
    const page = await admin.newPage();
    // A real open invite, for the revoke action to aim at.
    await page.goto(`/teams/${TEAM}/settings`);
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByLabel("Email").fill(invitee);
    await form.getByRole("button", { name: "Send invite" }).click();
    await expect(form.getByRole("status")).toHaveText(`Invite sent to ${invitee}.`);

    // Capture each action exactly as the admin's browser sends it (stopped before the server).
    const capture = async (name: string, submit: (p: Page) => Promise<void>): Promise<[string, CapturedAction]> => {
      const p = await admin.newPage();
      await p.goto(`/teams/${TEAM}/settings`);
      // Hydrated first: a click before React attaches its handlers sends no action to capture.
      await p.waitForLoadState("networkidle");
      const action = await captureServerAction(p, () => submit(p));
      // Left open: closing it at once can race requests the capture route is still passing on.
      return [name, action];
    };
    const row = (p: Page) => p.getByTestId("member-row").filter({ hasText: victim.email });
    const actions = [
      await capture("change role", (p) => row(p).getByLabel(`Role for ${victim.name}`).selectOption("admin").then(() => undefined)),
      // click, not check(): the aborted action leaves the box as the server has it, and check()
      // would wait for a state that never comes (seen once in the full suite).
      await capture("set grants", (p) => row(p).getByLabel("jobs:write").click()),
      await capture("remove member", async (p) => {
        await row(p).getByRole("button", { name: `Remove ${victim.name}` }).click();
        await row(p).getByRole("button", { name: "Yes, remove" }).click();
      }),
      await capture("invite", async (p) => {
        const f = p.getByRole("form", { name: "Invite someone" });
        await f.getByLabel("Email").fill("intruder@example.test");
        await f.getByLabel("Role").selectOption("admin");
        await f.getByRole("button", { name: "Send invite" }).click();
      }),
      await capture("revoke invite", (p) => p.getByRole("button", { name: `Revoke invite for ${invitee}` }).click()),
    ];
    expect(new Set(actions.map(([, a]) => a.headers["next-action"])).size).toBe(5);

    const snapshot = async () => ({
      victim: await sql`select role, grants from team_members where user_id = ${victim.id}`,
      invites: await sql`select email, revoked_at, accepted_at from team_invites where lower(email) in (${invitee}, 'intruder@example.test') order by email`,
      // Other specs write Acme audit events meanwhile: count only those this spec could cause.
      audit: (
        await sql<{ n: number }[]>`
          select count(*)::int as n from audit_events
          where subject_user_id = ${victim.id} or details->>'email' in (${invitee}, 'intruder@example.test')`
      )[0]!.n,
      mails: (await sql<{ n: number }[]>`select count(*)::int as n from notifications where to_email = 'intruder@example.test'`)[0]!.n,
    });
    const before = await snapshot();
    expect(before.victim).toEqual([{ role: "member", grants: [] }]);
    expect(before.invites).toHaveLength(1);

    for (const [name, action] of actions) {
      const asMember = await replayServerAction(member.request, action);
      expect(asMember.text, `${name} as a member`).toContain("You do not have permission to do that.");
      const asOutsider = await replayServerAction(outsider.request, action);
      expect(asOutsider.text, `${name} as an outsider`).toContain("Not found.");
      const signedOut = await replayServerAction(anonymous.request, action);
      expect(signedOut.text, `${name} signed out`).toContain("Sign in to continue.");
    }
    expect(await snapshot()).toEqual(before);
  } finally {
    await sql`update team_invites set revoked_at = now() where lower(email) = ${invitee} and revoked_at is null`;
    await sql`delete from users where id = ${victim.id}`;
    await sql.end();
    await Promise.all([admin.close(), member.close(), outsider.close(), anonymous.close()]);
  }
});

test("an outsider gets not found for the team's settings, audit log and API keys tab", async ({ browser }) => {
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const page = await outsider.newPage();
  allowConsoleError(NOT_FOUND_PAGE); // each of these is a 404 page to the outsider
  for (const path of [`/teams/${TEAM}/settings`, `/teams/${TEAM}/settings/audit`, `/teams/no-such-team/settings`]) {
    expect((await page.goto(path))?.status(), path).toBe(404);
    await expect(page.getByText("Acme")).toHaveCount(0);
  }
  // Their own team's settings open fine.
  await page.goto("/teams/globex/settings");
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await outsider.close();
});
