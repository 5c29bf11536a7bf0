import { randomBytes } from "node:crypto";
import { expect, type Browser, type BrowserContext } from "@playwright/test";
import bcrypt from "bcryptjs";
import type postgres from "postgres";

/** A fresh user in a team with the given role and grants (none by default), for one spec. */
export async function createTeamUser(sql: postgres.Sql, teamSlug: string, role: "owner" | "admin" | "member", grants: string[] = []): Promise<{ email: string; password: string; id: string }> {
  const tag = randomBytes(4).toString("hex");
  const email = `u-${tag}@example.test`;
  const password = `pw-${tag}-${tag}`;
  const hash = await bcrypt.hash(password, 4);
  const [user] = await sql<{ id: string }[]>`insert into users (email, name, password_hash) values (${email}, ${`User ${tag}`}, ${hash}) returning id`;
  await sql`insert into team_members (team_id, user_id, role, grants) select id, ${user!.id}, ${role}, ${grants} from teams where slug = ${teamSlug}`;
  return { email, password, id: user!.id };
}

/** A browser context signed in through the real sign-in form. */
export async function signedIn(browser: Browser, email: string, password: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await page.close();
  return context;
}
