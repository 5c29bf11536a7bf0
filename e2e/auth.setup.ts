import { expect, test as setup } from "./support/test";
import bcrypt from "bcryptjs";
import { ACCOUNTS, OUTSIDER_PROJECT, SECOND_PROJECT, storageState, type Role } from "./support/accounts";
import { e2eSql } from "./support/db";

// Seed first, then sign in: the outsider must exist before signing in.
setup.describe.configure({ mode: "serial" });

setup("seed a second team with its own admin", async () => {
  const sql = e2eSql();
  try {
    await sql.begin(async (tx) => {
      // A second Acme project, so specs that hold a job type's overlap slot do not collide.
      await tx`insert into projects (team_id, slug, name) select id, ${SECOND_PROJECT}, 'Acme Ops' from teams where slug = 'acme' on conflict (slug) do nothing`;
      const [team] = await tx`insert into teams (slug, name) values ('globex', 'Globex') on conflict (slug) do update set name = excluded.name returning id`;
      await tx`insert into projects (team_id, slug, name) values (${team!.id}, ${OUTSIDER_PROJECT}, 'Globex Site') on conflict (slug) do nothing`;
      const hash = await bcrypt.hash(ACCOUNTS.outsider.password, 10);
      const [user] = await tx`insert into users (email, name, password_hash) values (${ACCOUNTS.outsider.email}, 'Olga Outsider', ${hash}) on conflict (lower(email)) do update set password_hash = excluded.password_hash returning id`;
      await tx`insert into team_members (team_id, user_id, role) values (${team!.id}, ${user!.id}, 'admin') on conflict do nothing`;
    });
  } finally {
    await sql.end();
  }
});

for (const role of Object.keys(ACCOUNTS) as Role[]) {
  setup(`sign in as ${role}`, async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(ACCOUNTS[role].email);
    await page.getByLabel("Password").fill(ACCOUNTS[role].password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
    await page.context().storageState({ path: storageState(role) });
  });
}
