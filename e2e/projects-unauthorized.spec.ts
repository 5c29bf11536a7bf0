import { randomBytes } from "node:crypto";
import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

// The outsider and the member are sent to 404 pages on purpose.
test.use({ allowConsoleErrors: /status of 404/ });

type Project = { id: string; slug: string; name: string; deleted_at: Date | null };

/**
 * Each new action, captured from the admin's own page and replayed as someone else: a member of
 * Acme without team:manage, an admin of another team, and nobody. None of them changes anything.
 */
test("create, rename, delete and restore are refused to a member, another team's admin and the signed-out", async ({ browser }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  const admin = await browser.newContext({ storageState: storageState("admin") });
  const outsider = await browser.newContext({ storageState: storageState("outsider") });
  const anonymous = await browser.newContext();
  const jobsMember = await createTeamUser(sql, "acme", "member", ["jobs:read", "jobs:write"]);
  const member = await signedIn(browser, jobsMember.email, jobsMember.password);
  const page = await admin.newPage();
  try {
    const name = `Guarded ${randomBytes(3).toString("hex")}`;
    await sql`insert into projects (team_id, slug, name) select id, ${name.toLowerCase().replace(" ", "-")}, ${name} from teams where slug = 'acme'`;
    const read = async () => (await sql<Project[]>`select id, slug, name, deleted_at from projects where name like ${`${name}%`} order by slug`)[0]!;
    const before = await read();
    const slug = before.slug;

    await page.goto("/projects");
    const create = await captureServerAction(page, async () => {
      await page.getByRole("textbox", { name: "New project in Acme" }).fill(`${name} copy`);
      await page.getByRole("button", { name: "Create project" }).click();
    });
    await page.goto(`/projects/${slug}/settings`);
    const rename = await captureServerAction(page, async () => {
      await page.getByLabel("Project name").fill(`${name} hijacked`);
      await page.getByRole("button", { name: "Rename" }).click();
    });
    // The aborted request is a request that never got an answer: the form says so and the page
    // stays (it used to throw into the error page, and the next click here timed out).
    await expect(page.getByRole("alert").filter({ hasText: "Runboard could not be reached" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Something went wrong" })).toHaveCount(0);
    await page.getByRole("button", { name: "Delete project…" }).click();
    const remove = await captureServerAction(page, () => page.getByRole("button", { name: `Yes, delete ${name}` }).click());
    // Restore acts on a deleted project: capture it from the admin's own deleted-notice page.
    await sql`update projects set deleted_at = now() where id = ${before.id}`;
    await page.goto(`/projects/${slug}/jobs`);
    const restore = await captureServerAction(page, () => page.getByTestId("deleted-notice").getByRole("button", { name: "Restore" }).click());
    const actions: [string, CapturedAction][] = [
      ["create", create],
      ["rename", rename],
      ["delete", remove],
      ["restore", restore],
    ];

    const projectCount = async () => (await sql<{ n: number }[]>`select count(*)::int as n from projects where name like ${`${name}%`}`)[0]!.n;
    for (const [who, context, expected] of [
      ["member", member, "You do not have permission to do that."],
      ["outsider", outsider, "Not found."],
      ["signed out", anonymous, "Sign in to continue."],
    ] as const) {
      for (const [label, action] of actions) {
        // Delete needs a live project, restore a deleted one: set the state each replay would act on.
        await sql`update projects set deleted_at = ${label === "restore" ? new Date() : null} where id = ${before.id}`;
        const reply = await replayServerAction(context.request, action);
        expect(reply.text, `${who} ${label}`).toContain(expected);
        const after = await read();
        expect(after.name, `${who} ${label}`).toBe(name);
        expect(after.deleted_at === null, `${who} ${label}`).toBe(label !== "restore");
      }
    }
    expect(await projectCount()).toBe(1);
    const audits = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where details->>'slug' = ${slug}`;
    expect(audits[0]!.n).toBe(0);

    // Pages: the member sees no controls and is told why; a deleted project's slug is a plain
    // 404 to the member and the outsider (only its team's admins learn it was deleted).
    await sql`update projects set deleted_at = null where id = ${before.id}`;
    const memberPage = await member.newPage();
    await memberPage.goto("/projects");
    await expect(memberPage.getByRole("link", { name: `Settings of ${slug}` })).toHaveCount(0);
    await expect(memberPage.getByRole("textbox", { name: "New project in Acme" })).toHaveCount(0);
    await memberPage.goto(`/projects/${slug}/settings`);
    await expect(memberPage.getByText("Only the team's owners and admins can rename or delete this project.")).toBeVisible();
    await sql`update projects set deleted_at = now() where id = ${before.id}`;
    expect((await memberPage.goto(`/projects/${slug}/jobs`))?.status()).toBe(404);
    await expect(memberPage.getByTestId("deleted-notice")).toHaveCount(0);
    const outsiderPage = await outsider.newPage();
    expect((await outsiderPage.goto(`/projects/${slug}/settings`))?.status()).toBe(404);
    await expect(outsiderPage.getByTestId("deleted-notice")).toHaveCount(0);
    await sql`update projects set deleted_at = null where id = ${before.id}`;
  } finally {
    await Promise.all([admin.close(), outsider.close(), anonymous.close(), member.close()]);
    await sql.end();
  }
});

test("the project API refuses no key, a key without team:manage, and another team's key", async ({ request }) => {
  const sql = e2eSql();
  try {
    const name = `Keyed ${randomBytes(3).toString("hex")}`;
    const slug = name.toLowerCase().replace(" ", "-");
    await sql`insert into projects (team_id, slug, name) select id, ${slug}, ${name} from teams where slug = 'acme'`;
    const jobsKey = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local", scopes: ["jobs:read", "jobs:write"] });
    const globexKey = await insertApiKey(sql, { team: "globex", createdBy: "outsider@globex.test", scopes: ["jobs:read", "jobs:write", "team:manage"] });
    // A member's key asking for team:manage: the scope counts only while its creator holds it.
    const memberUser = await createTeamUser(sql, "acme", "member", ["jobs:read"]);
    const memberKey = await insertApiKey(sql, { team: "acme", createdBy: memberUser.email, scopes: ["jobs:read", "team:manage"] });

    const calls = (headers: Record<string, string>) => [
      request.post("/api/v1/projects", { headers, data: { name: `${name} new` } }),
      request.patch(`/api/v1/projects/${slug}`, { headers, data: { name: `${name} hijacked` } }),
      request.delete(`/api/v1/projects/${slug}`, { headers }),
      request.post(`/api/v1/projects/${slug}/restore`, { headers }),
    ];
    const statuses = async (headers: Record<string, string>) => Promise.all((await Promise.all(calls(headers))).map((r) => r.status()));
    expect(await statuses({})).toEqual([401, 401, 401, 401]);
    expect(await statuses(bearer(jobsKey.key))).toEqual([403, 403, 403, 403]);
    expect(await statuses(bearer(memberKey.key))).toEqual([403, 403, 403, 403]);
    // Another team's key creates in its own team only; Acme's project does not exist for it.
    const [create, ...others] = await Promise.all(calls(bearer(globexKey.key)));
    expect(create!.status()).toBe(201);
    expect(((await create!.json()) as { project: { teamName: string } }).project.teamName).not.toBe("Acme");
    expect(others.map((r) => r.status())).toEqual([404, 404, 404]);

    const [row] = await sql<{ name: string; deleted_at: Date | null }[]>`select name, deleted_at from projects where slug = ${slug}`;
    expect(row).toEqual({ name, deleted_at: null });
    expect((await sql<{ n: number }[]>`select count(*)::int as n from projects p join teams t on t.id = p.team_id where t.slug = 'acme' and p.name = ${`${name} new`}`)[0]!.n).toBe(0);
  } finally {
    await sql.end();
  }
});
