import { allowConsoleError, expect, NOT_FOUND_PAGE, test } from "./support/test";
import bcrypt from "bcryptjs";
import { PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";
import { seedAcmeMember, signedIn, TEAM } from "./support/team";

const NO_JOBS = "You do not have access to jobs in this project.";

test("an admin grants jobs:read and the member can open the jobs page on their next request; revoking takes it away", async ({ browser }) => {
  const sql = e2eSql();
  const member = await seedAcmeMember(sql, "Gina Grantee");
  const memberContext = await signedIn(browser, member);
  const admin = await browser.newContext({ storageState: storageState("admin") });
  try {
    const memberPage = await memberContext.newPage();
    await memberPage.goto(`/projects/${PROJECT}/jobs`);
    await expect(memberPage.getByText(NO_JOBS)).toBeVisible();

    const page = await admin.newPage();
    await page.goto("/projects");
    await page.getByRole("link", { name: "Team settings" }).click();
    await expect(page.getByRole("heading", { name: "Team settings" })).toBeVisible();
    const row = page.getByTestId("member-row").filter({ hasText: member.email });
    await expect(row.getByText("nothing yet")).toBeVisible();
    await row.getByRole("group", { name: `Permissions for ${member.name}` }).getByLabel("jobs:read").check();
    await expect(row.getByRole("status")).toHaveText("Permissions saved.");
    await expect(row.getByRole("list", { name: `Effective permissions of ${member.name}` })).toHaveText("jobs:read");

    // The member's session is unchanged; the next request reads the grant from the database.
    await memberPage.reload();
    await expect(memberPage.getByRole("heading", { name: "Job types" })).toBeVisible();
    await expect(memberPage.getByText(NO_JOBS)).toHaveCount(0);

    await row.getByRole("group", { name: `Permissions for ${member.name}` }).getByLabel("jobs:read").uncheck();
    await expect(row.getByRole("status")).toHaveText("Permissions saved.");
    await expect(row.getByText("nothing yet")).toBeVisible();
    await memberPage.reload();
    await expect(memberPage.getByText(NO_JOBS)).toBeVisible();
    await expect(memberPage.getByRole("heading", { name: "Job types" })).toHaveCount(0);

    // Promoting to admin opens the settings to them; the audit log tells the story.
    await row.getByLabel(`Role for ${member.name}`).selectOption("admin");
    await expect(row.getByText("Role changed to admin.")).toBeVisible();
    await expect(row.getByText("all, from the admin role")).toBeVisible();
    await memberPage.goto(`/teams/${TEAM}/settings`);
    await expect(memberPage.getByRole("heading", { name: "Members" })).toBeVisible();

    await page.getByRole("link", { name: "Audit log" }).click();
    await expect(page.getByRole("link", { name: "Audit log" })).toHaveAttribute("aria-current", "page");
    // Other specs change Acme meanwhile: read this member's events, newest first.
    const events = page.getByTestId("audit-event").filter({ hasText: member.name });
    await expect(events.nth(0)).toContainText(`Ada Admin changed ${member.name}'s role from member to admin`);
    await expect(events.nth(1)).toContainText(`Ada Admin revoked jobs:read from ${member.name}`);
    await expect(events.nth(2)).toContainText(`Ada Admin granted jobs:read to ${member.name}`);
    await expect(events.nth(0).locator("time")).toHaveText(/ago$/);
    await expect(events.nth(0)).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

    // Removing them ends their access to the team on their next request.
    await page.getByRole("link", { name: "Members" }).click();
    await row.getByRole("button", { name: `Remove ${member.name}` }).click();
    await row.getByRole("button", { name: "Yes, remove" }).click();
    await expect(page.getByTestId("member-row").filter({ hasText: member.email })).toHaveCount(0);
    allowConsoleError(NOT_FOUND_PAGE); // the removed member gets the 404 pages
    expect((await memberPage.goto(`/projects/${PROJECT}/jobs`))?.status()).toBe(404);
    expect((await memberPage.goto(`/teams/${TEAM}/settings`))?.status()).toBe(404);
  } finally {
    await sql`delete from users where id = ${member.id}`;
    await sql.end();
    await memberContext.close();
    await admin.close();
  }
});

test("an invite is emailed through the outbox, and the new person sets a password and lands in the team", async ({ browser }) => {
  const sql = e2eSql();
  const email = `newbie.${Date.now().toString(36)}@example.test`;
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const newcomer = await browser.newContext();
  try {
    const page = await admin.newPage();
    await page.goto(`/teams/${TEAM}/settings`);
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Role").selectOption("member");
    await expect(form.getByLabel("jobs:read")).toBeChecked();
    await form.getByRole("button", { name: "Send invite" }).click();
    await expect(form.getByRole("status")).toHaveText(`Invite sent to ${email}.`);
    await expect(page.getByTestId("invite-row").filter({ hasText: email })).toContainText("member with jobs:read");

    // The worker's notification_delivery run handles the email; without SMTP it stays in the outbox.
    await expect
      .poll(async () => (await sql<{ status: string }[]>`select status from notifications where kind = 'invite' and to_email = ${email}`)[0]?.status, { timeout: 20_000 })
      .toBe("unsent");
    const [mail] = await sql<{ body_text: string; subject: string }[]>`select body_text, subject from notifications where kind = 'invite' and to_email = ${email}`;
    expect(mail!.subject).toBe("[Runboard] Join Acme");
    const link = mail!.body_text.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)?.[0];
    expect(link).toBeTruthy();

    const invitePage = await newcomer.newPage();
    await invitePage.goto(link!);
    await expect(invitePage.getByRole("heading", { name: "Join Acme" })).toBeVisible();
    await expect(invitePage.getByLabel("Email")).toHaveValue(email);
    await invitePage.getByLabel("Your name").fill("Nina Newcomer");
    await invitePage.getByLabel("Choose a password").fill("short");
    await invitePage.getByRole("button", { name: "Create account and join" }).click();
    await expect(invitePage.getByText("Use at least 10 characters.").or(invitePage.getByLabel("Choose a password").and(invitePage.locator(":invalid")))).toBeVisible();
    await invitePage.getByLabel("Choose a password").fill("nina-strong-password");
    await invitePage.getByRole("button", { name: "Create account and join" }).click();
    await expect(invitePage).toHaveURL(/\/projects$/);
    await expect(invitePage.getByRole("list", { name: "Your teams" })).toContainText("Acme (member)");
    await invitePage.getByRole("link", { name: /Acme App/ }).click();
    await expect(invitePage.getByRole("heading", { name: "Job types" })).toBeVisible();

    // The link worked once.
    await invitePage.goto(link!);
    await expect(invitePage.getByRole("heading", { name: "This invite has already been used" })).toBeVisible();

    await page.goto(`/teams/${TEAM}/settings`);
    await expect(page.getByTestId("member-row").filter({ hasText: email })).toContainText("Nina Newcomer");
    await expect(page.getByTestId("invite-row").filter({ hasText: email })).toHaveCount(0);
    await page.goto(`/teams/${TEAM}/settings/audit`);
    await expect(page.getByTestId("audit-event").filter({ hasText: "Nina Newcomer joined as member" })).toContainText("jobs:read");
    await expect(page.getByTestId("audit-event").filter({ hasText: `Ada Admin invited ${email} as member` })).toBeVisible();
  } finally {
    await sql`delete from users where lower(email) = ${email}`;
    await sql.end();
    await admin.close();
    await newcomer.close();
  }
});

test("a revoked invite's link says it was withdrawn; an expired one says so too", async ({ browser }) => {
  const sql = e2eSql();
  const email = `withdrawn.${Date.now().toString(36)}@example.test`;
  const admin = await browser.newContext({ storageState: storageState("admin") });
  try {
    const page = await admin.newPage();
    await page.goto(`/teams/${TEAM}/settings`);
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByLabel("Email").fill(email);
    await form.getByRole("button", { name: "Send invite" }).click();
    await expect(form.getByRole("status")).toHaveText(`Invite sent to ${email}.`);
    const [mail] = await sql<{ body_text: string }[]>`select body_text from notifications where kind = 'invite' and to_email = ${email}`;
    const path = mail!.body_text.match(/\/invite\/[A-Za-z0-9_-]+/)![0];

    await page.getByRole("button", { name: `Revoke invite for ${email}` }).click();
    await expect(page.getByTestId("invite-row").filter({ hasText: email })).toHaveCount(0);
    const visitor = await browser.newContext();
    const visit = await visitor.newPage();
    await visit.goto(path);
    await expect(visit.getByRole("heading", { name: "This invite was withdrawn" })).toBeVisible();
    await expect(visit.getByRole("button")).toHaveCount(0);

    // Invite again, then let it expire.
    await form.getByLabel("Email").fill(email);
    await form.getByRole("button", { name: "Send invite" }).click();
    await expect(page.getByTestId("invite-row").filter({ hasText: email })).toHaveCount(1);
    const [again] = await sql<{ body_text: string }[]>`select body_text from notifications where kind = 'invite' and to_email = ${email} order by created_at desc limit 1`;
    const path2 = again!.body_text.match(/\/invite\/[A-Za-z0-9_-]+/)![0];
    await sql`update team_invites set expires_at = now() - interval '1 minute' where lower(email) = ${email} and revoked_at is null and accepted_at is null`;
    await visit.goto(path2);
    await expect(visit.getByRole("heading", { name: "This invite has expired" })).toBeVisible();
    await visit.goto("/invite/not-a-real-invite-token-at-all");
    await expect(visit.getByRole("heading", { name: "This invite link is not valid" })).toBeVisible();
    await visitor.close();
  } finally {
    await sql`update team_invites set revoked_at = now() where lower(email) = ${email} and revoked_at is null`;
    await sql.end();
    await admin.close();
  }
});

test("someone who already has an account accepts an invite by signing in with their password", async ({ browser }) => {
  const sql = e2eSql();
  const tag = Date.now().toString(36);
  const email = `existing.${tag}@example.test`;
  const password = `existing-${tag}-password`;
  const [user] = await sql<{ id: string }[]>`insert into users (email, name, password_hash) values (${email}, 'Erin Existing', ${await bcrypt.hash(password, 4)}) returning id`;
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const visitor = await browser.newContext();
  try {
    const page = await admin.newPage();
    await page.goto(`/teams/${TEAM}/settings`);
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Role").selectOption("admin");
    await expect(form.getByText("Admins hold every permission and manage the team.")).toBeVisible();
    await form.getByRole("button", { name: "Send invite" }).click();
    await expect(page.getByTestId("invite-row").filter({ hasText: email })).toContainText("admin");
    const [mail] = await sql<{ body_text: string }[]>`select body_text from notifications where kind = 'invite' and to_email = ${email}`;
    const path = mail!.body_text.match(/\/invite\/[A-Za-z0-9_-]+/)![0];

    const visit = await visitor.newPage();
    await visit.goto(path);
    await expect(visit.getByText("You are invited as an admin of Acme. Sign in to accept.")).toBeVisible();
    await visit.getByLabel("Password").fill("not-my-password");
    await visit.getByRole("button", { name: "Sign in and join" }).click();
    await expect(visit.getByRole("alert").filter({ hasText: "That password does not match the account for this email." })).toBeVisible();
    expect(await sql`select 1 from team_members where user_id = ${user!.id}`).toHaveLength(0);
    await visit.getByLabel("Password").fill(password);
    await visit.getByRole("button", { name: "Sign in and join" }).click();
    await expect(visit).toHaveURL(/\/projects$/);
    await expect(visit.getByRole("list", { name: "Your teams" })).toContainText("Acme (admin)");
    await visit.getByRole("link", { name: "Team settings for Acme" }).click();
    await expect(visit.getByRole("heading", { name: "Members" })).toBeVisible();
  } finally {
    await sql`delete from users where id = ${user!.id}`;
    await sql.end();
    await admin.close();
    await visitor.close();
  }
});

test("the audit log pages back with Older links, without skipping or repeating an event", async ({ browser }) => {
  const sql = e2eSql();
  const subject = await seedAcmeMember(sql, "Paige Pager");
  const admin = await browser.newContext({ storageState: storageState("admin") });
  try {
    // 35 events sharing one timestamp (a day old, so they never push other specs' fresh events off
    // the first page): the cursor must page through them.
    await sql`
      insert into audit_events (team_id, actor_user_id, subject_user_id, action, details, created_at)
      select t.id, u.id, ${subject.id}, 'member.grants_changed', ${sql.json({ from: [], to: ["jobs:read"], added: ["jobs:read"], removed: [] })}, now() - interval '1 day'
      from teams t, users u, generate_series(1, 35) where t.slug = ${TEAM} and u.email = 'admin@runboard.local'`;
    const page = await admin.newPage();
    await page.goto(`/teams/${TEAM}/settings/audit`);
    const seen: string[] = [];
    let mine = 0;
    for (let pages = 1; ; pages++) {
      const events = page.getByTestId("audit-event");
      await expect(events.first()).toBeVisible();
      seen.push(...(await events.evaluateAll((els) => els.map((el) => el.getAttribute("data-event-id") ?? ""))));
      mine += await events.filter({ hasText: `Ada Admin granted jobs:read to ${subject.name}` }).count();
      const older = page.getByRole("link", { name: "Older →" });
      if ((await older.count()) === 0 || pages > 20) break;
      const href = await older.getAttribute("href");
      await older.click();
      await expect(page).toHaveURL((url) => `${url.pathname}${url.search}` === href);
      await expect(page.getByRole("link", { name: "← Newest" })).toBeVisible();
    }
    expect(mine).toBe(35);
    expect(new Set(seen).size).toBe(seen.length);
  } finally {
    await sql`delete from users where id = ${subject.id}`;
    await sql.end();
    await admin.close();
  }
});
