import { expect, type Browser, type BrowserContext } from "@playwright/test";
import bcrypt from "bcryptjs";
import type postgres from "postgres";

export const TEAM = "acme";

export type SeededUser = { id: string; email: string; name: string; password: string };

/**
 * A fresh Acme member of the spec's own, so specs that change grants never disturb the shared
 * seeded accounts (other specs rely on member@runboard.local keeping jobs:read).
 */
export async function seedAcmeMember(sql: postgres.Sql, name: string, grants: string[] = []): Promise<SeededUser> {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}.${tag}@acme.test`;
  const password = `pw-${tag}-secret`;
  const hash = await bcrypt.hash(password, 4);
  const [user] = await sql<{ id: string }[]>`insert into users (email, name, password_hash) values (${email}, ${name}, ${hash}) returning id`;
  await sql`insert into team_members (team_id, user_id, role, grants) select id, ${user!.id}, 'member', ${grants} from teams where slug = ${TEAM}`;
  return { id: user!.id, email, name, password };
}

/** A signed-in browser context for a seeded user, through the real sign-in form. */
export async function signedIn(browser: Browser, user: { email: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await page.close();
  return context;
}
