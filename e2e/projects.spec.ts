import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";
import { expect, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/users";

const SHOTS = path.join(import.meta.dirname, "..", "..", "_shots", "teams");
const tag = () => randomBytes(3).toString("hex");

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a new signed-in person creates a team, owns it, and creates its first project", async ({ browser }) => {
  const sql = e2eSql();
  const id = tag();
  const email = `founder-${id}@example.test`;
  const password = `pw-${id}-${id}`;
  await sql`insert into users (email, name, password_hash) values (${email}, ${`Founder ${id}`}, ${await bcrypt.hash(password, 4)})`;
  const context = await signedIn(browser, email, password);
  const page = await context.newPage();
  try {
    await page.goto("/projects");
    await expect(page.getByText("You are not in a team yet.")).toBeVisible();
    await shoot(page, "projects-new-user");
    await page.getByRole("textbox", { name: "Team name" }).fill(`Rocket ${id}`);
    await page.getByRole("button", { name: "Create team" }).click();
    await expect(page.getByRole("status")).toContainText(`Team “Rocket ${id}” created`);
    await expect(page.getByRole("list", { name: "Your teams" })).toContainText(`Rocket ${id} (owner)`);
    // The same name again: refused with the reason, nothing created.
    await page.getByRole("textbox", { name: "Team name" }).fill(`rocket ${id}`);
    await page.getByRole("button", { name: "Create team" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "already in a team named" })).toBeVisible();

    await page.getByRole("textbox", { name: `New project in Rocket ${id}` }).fill("Launch Pad");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByRole("status").first()).toContainText("Project “Launch Pad” created");
    await page.getByRole("link", { name: /Launch Pad/ }).first().click();
    await expect(page.getByRole("heading", { name: "Launch Pad" })).toBeVisible();
    const [row] = await sql<{ role: string; slug: string }[]>`
      select m.role, t.slug from team_members m join teams t on t.id = m.team_id join users u on u.id = m.user_id where u.email = ${email}`;
    expect(row?.role).toBe("owner");
    const actions = await sql<{ action: string }[]>`select a.action from audit_events a join teams t on t.id = a.team_id where t.slug = ${row!.slug} order by a.created_at`;
    expect(actions.map((a) => a.action)).toEqual(["team.created", "project.created"]);
  } finally {
    await context.close();
    await sql.end();
  }
});

test("a team admin creates, renames, deletes (not while a run is active) and restores a project", async ({ browser }) => {
  const sql = e2eSql();
  const context = await browser.newContext({ storageState: storageState("admin") });
  const page = await context.newPage();
  const name = `Ledger ${tag()}`;
  try {
    await page.goto("/projects");
    await page.getByRole("textbox", { name: "New project in Acme" }).fill(name);
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByRole("status").first()).toContainText(`Project “${name}” created`);
    const [project] = await sql<{ id: string; slug: string; team_id: string }[]>`select id, slug, team_id from projects where name = ${name}`;
    const slug = project!.slug;
    expect(slug).toMatch(/^ledger-[0-9a-f]{6}$/);
    // A duplicate name in the same team is refused with the reason.
    await page.getByRole("textbox", { name: "New project in Acme" }).fill(name.toUpperCase());
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "already has a project named" })).toBeVisible();
    await shoot(page, "projects-admin");

    await page.getByRole("link", { name: `Settings of ${slug}` }).click();
    await expect(page.getByRole("heading", { name })).toBeVisible();
    await shoot(page, "project-settings");
    await page.getByLabel("Project name").fill(`${name} v2`);
    await page.getByRole("button", { name: "Rename" }).click();
    await expect(page.getByRole("status")).toContainText(`Its address stays /projects/${slug}`);
    await page.goto(`/projects/${slug}/jobs`);
    await expect(page.getByRole("heading", { name: `${name} v2` })).toBeVisible();

    // A running run blocks the delete, and the refusal names it.
    const [run] = await sql<{ id: string }[]>`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, attempt_count, last_heartbeat)
      values (gen_random_uuid(), ${project!.team_id}, ${project!.id}, 'demo_paced', 'running', 1, '{}', 1, now()) returning id`;
    await page.goto(`/projects/${slug}/settings`);
    await page.getByRole("button", { name: "Delete project…" }).click();
    await page.getByRole("button", { name: `Yes, delete ${name} v2` }).click();
    await expect(page.getByRole("alert").filter({ hasText: run!.id })).toBeVisible();
    await expect(page.getByRole("link", { name: "Open the run" })).toHaveAttribute("href", `/projects/${slug}/runs/${run!.id}`);
    await sql`update job_runs set status = 'completed', completed_at = now() where id = ${run!.id}`;

    await page.getByRole("button", { name: `Yes, delete ${name} v2` }).click();
    // The same address now says it is deleted and until when it can come back.
    await expect(page.getByTestId("deleted-notice")).toContainText("This project was deleted");
    await expect(page.getByTestId("deleted-notice")).toContainText("restore it, with its runs and schedules, until");
    await shoot(page, "project-deleted");
    await page.goto(`/projects/${slug}/runs`);
    await expect(page.getByTestId("deleted-notice")).toContainText("This project was deleted");
    await page.goto("/projects");
    await expect(page.getByRole("link", { name: new RegExp(`${name} v2`) })).toHaveCount(0);
    await expect(page.getByTestId(`deleted-${slug}`)).toContainText("restore until");
    await shoot(page, "projects-recently-deleted");

    await page.getByTestId(`deleted-${slug}`).getByRole("button", { name: "Restore" }).click();
    await expect(page.getByRole("link", { name: new RegExp(`${name} v2`) })).toBeVisible();
    await page.goto(`/projects/${slug}/jobs`);
    await expect(page.getByRole("heading", { name: `${name} v2` })).toBeVisible();

    const actions = await sql<{ action: string }[]>`
      select action from audit_events where team_id = ${project!.team_id} and details->>'slug' = ${slug} order by created_at`;
    expect(actions.map((a) => a.action)).toEqual(["project.created", "project.renamed", "project.deleted", "project.restored"]);
  } finally {
    await context.close();
    await sql.end();
  }
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, "..", "bin", "runboard.mjs"), ...args], {
      env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: "/nonexistent", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("an admin's key with team:manage scripts the same through the API and the CLI", async ({ request, baseURL }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  try {
    const key = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local", scopes: ["jobs:read", "team:manage"] });
    const name = `Api ${tag()}`;
    const created = await request.post("/api/v1/projects", { headers: bearer(key.key), data: { name } });
    expect(created.status()).toBe(201);
    const { project } = (await created.json()) as { project: { slug: string; name: string; teamName: string } };
    expect(project).toMatchObject({ name, teamName: "Acme" });
    expect((await request.post("/api/v1/projects", { headers: bearer(key.key), data: { name } })).status()).toBe(409);
    expect((await request.post("/api/v1/projects", { headers: bearer(key.key), data: { name: "a\u0000b" } })).status()).toBe(422);
    expect((await request.post("/api/v1/projects", { headers: bearer(key.key), data: { name: "x".repeat(1024 * 1024) } })).status()).toBe(413);

    const renamed = await request.patch(`/api/v1/projects/${project.slug}`, { headers: bearer(key.key), data: { name: `${name} renamed` } });
    expect(await renamed.json()).toMatchObject({ project: { slug: project.slug, name: `${name} renamed` } });
    const deleted = await request.delete(`/api/v1/projects/${project.slug}`, { headers: bearer(key.key) });
    expect(deleted.status()).toBe(200);
    expect(((await deleted.json()) as { project: { restoreUntil: string } }).project.restoreUntil).toBeTruthy();
    const twice = await request.delete(`/api/v1/projects/${project.slug}`, { headers: bearer(key.key) });
    expect(twice.status()).toBe(409);
    expect(((await twice.json()) as { error: { message: string } }).error.message).toContain("already deleted");
    // Gone from the API's reads and triggers.
    const list = (await (await request.get("/api/v1/projects", { headers: bearer(key.key) })).json()) as { projects: { slug: string }[] };
    expect(list.projects.map((p) => p.slug)).not.toContain(project.slug);
    expect((await request.get(`/api/v1/projects/${project.slug}/runs`, { headers: bearer(key.key) })).status()).toBe(404);
    expect((await request.post(`/api/v1/projects/${project.slug}/restore`, { headers: bearer(key.key) })).status()).toBe(200);

    const env = { RUNBOARD_URL: baseURL!, RUNBOARD_API_KEY: key.key };
    const cliName = `Cli ${tag()}`;
    const made = await cli(["projects", "create", cliName, "--json"], env);
    expect(made.code).toBe(0);
    const cliSlug = (JSON.parse(made.stdout) as { slug: string }).slug;
    expect((await cli(["projects", "rename", cliSlug, `${cliName} 2`], env)).stdout).toContain(`Renamed ${cliSlug} to ${cliName} 2.`);
    const gone = await cli(["projects", "delete", cliSlug], env);
    expect(gone.stdout).toContain("Restore it until");
    const again = await cli(["projects", "delete", cliSlug], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already deleted");
    expect((await cli(["projects", "restore", cliSlug], env)).stdout).toContain(`Restored ${cliName} 2`);
    const events = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where actor_api_key_id = ${key.id} and action like 'project.%'`;
    expect(events[0]!.n).toBe(8);
  } finally {
    await sql.end();
  }
});
