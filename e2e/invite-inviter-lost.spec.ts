import { createHash, randomBytes } from "node:crypto";
import { expect, test } from "./support/test";
import { e2eSql } from "./support/db";

/**
 * An invite speaks for whoever sent it: once they no longer hold team:manage in the team, the
 * link shows why it stopped working, and accepting it (even by replaying the form) joins no one.
 */
test("an invite from someone who has since lost team:manage no longer works", async ({ page }) => {
  const sql = e2eSql();
  const tag = randomBytes(4).toString("hex");
  const email = `lost-inviter-${tag}@example.test`;
  const token = randomBytes(32).toString("base64url");
  try {
    const [inviter] = await sql<{ id: string }[]>`insert into users (email, name, password_hash) values (${`inviter-${tag}@example.test`}, ${`Inviter ${tag}`}, 'x') returning id`;
    await sql`insert into team_members (team_id, user_id, role) select id, ${inviter!.id}, 'admin' from teams where slug = 'acme'`;
    await sql`
      insert into team_invites (team_id, email, role, grants, token_hash, invited_by, expires_at)
      select id, ${email}, 'member', '{jobs:read}', ${createHash("sha256").update(token).digest("hex")}, ${inviter!.id}, now() + interval '7 days' from teams where slug = 'acme'`;

    // While the inviter is an admin, the link offers to join.
    await page.goto(`/invite/${token}`);
    await expect(page.getByRole("heading", { name: "Join Acme" })).toBeVisible();
    await page.getByLabel("Your name").fill("Lee Late");
    await page.getByLabel("Choose a password").fill("a-good-password");

    // The inviter is demoted to a member before the invitee submits.
    await sql`update team_members set role = 'member', grants = '{jobs:read,jobs:write}' where user_id = ${inviter!.id}`;
    await page.getByRole("button", { name: "Create account and join" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "no longer works" })).toContainText("This invite no longer works: the person who sent it can no longer manage the team. Ask a current team admin to invite you again.");
    expect(await sql`select 1 from users where lower(email) = ${email}`).toHaveLength(0);

    // Opened again, the page says so instead of offering the form.
    await page.goto(`/invite/${token}`);
    await expect(page.getByRole("heading", { name: "This invite no longer works" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Create account and join" })).toHaveCount(0);
    const [invite] = await sql<{ accepted_at: Date | null }[]>`select accepted_at from team_invites where email = ${email}`;
    expect(invite!.accepted_at).toBeNull();
  } finally {
    await sql.end();
  }
});
