import { expect, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn, TEAM } from "./support/team";
import { seedWebhookTeam } from "./support/webhooks";

// Another team's settings pages answer 404, which the browser logs.
test.use({ allowConsoleErrors: /status of 404/ });

const seedRule = async (sql: ReturnType<typeof e2eSql>, teamSlug: string, name: string) =>
  (
    await sql<{ id: string }[]>`
      insert into alert_rules (team_id, name, job_types, statuses, throttle_seconds) select id, ${name}, '{contacts_import}', '{failed}', 600 from teams where slug = ${teamSlug} returning id`
  )[0]!.id;

test("a member, an outsider and a signed-out visitor see nothing of a team's alert rules", async ({ browser }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  const member = await signedIn(browser, team.member);
  const outsider = await browser.newContext({ storageState: storageState("admin") });
  const anonymous = await browser.newContext();
  try {
    await seedRule(sql, team.slug, "Secret rule name");
    const path = `/teams/${team.slug}/settings/alerts`;
    const asMember = await member.newPage();
    expect((await asMember.goto(path))?.status()).toBe(200);
    await expect(asMember.getByText(/You do not have permission to manage/)).toBeVisible();
    await expect(asMember.getByRole("link", { name: "Alerts" })).toHaveCount(0);
    expect(await asMember.content()).not.toContain("Secret rule name");
    // Acme's admin is an outsider here: not found.
    const asOutsider = await outsider.newPage();
    expect((await asOutsider.goto(path))?.status()).toBe(404);
    expect(await asOutsider.content()).not.toContain("Secret rule name");
    const signedOut = await anonymous.newPage();
    await signedOut.goto(path);
    await expect(signedOut).toHaveURL(/\/sign-in/);
  } finally {
    await Promise.all([member.close(), outsider.close(), anonymous.close()]);
    await sql.end();
  }
});

test.describe("replayed actions", () => {
  // The capture helper stops each action's request before the server on purpose; the page logs that.
  test.use({ allowConsoleErrors: /status of 404|net::ERR_FAILED|Failed to fetch/ });

  test("every alert rule action replayed by a member, another team's admin or a signed-out visitor changes nothing", async ({ browser }) => {
    test.setTimeout(150_000);
    const sql = e2eSql();
    const team = await seedWebhookTeam(sql);
    const admin = await signedIn(browser, team.admin);
    const member = await signedIn(browser, team.member);
    const otherAdmin = await browser.newContext({ storageState: storageState("admin") });
    const anonymous = await browser.newContext();
    try {
      await seedRule(sql, team.slug, "Target rule");
      const capture = async (name: string, submit: (p: Page) => Promise<void>): Promise<[string, CapturedAction]> => {
        const p = await admin.newPage();
        p.on("dialog", (dialog) => void dialog.accept());
        await p.goto(`/teams/${team.slug}/settings/alerts`);
        await p.waitForLoadState("networkidle");
        return [name, await captureServerAction(p, () => submit(p))];
      };
      const rule = (p: Page) => p.getByTestId("alert-rule");
      const actions = [
        await capture("create", async (p) => {
          await p.getByRole("button", { name: "New alert rule" }).click();
          const f = p.getByRole("form", { name: "New alert rule" });
          await f.getByLabel("Name", { exact: true }).fill("Intruder rule");
          await f.getByLabel("Import contacts").check();
          await f.getByRole("button", { name: "Add rule" }).click();
        }),
        await capture("disable", (p) => rule(p).getByRole("switch").click()),
        await capture("edit", async (p) => {
          await rule(p).getByRole("button", { name: "Edit Target rule" }).click();
          const f = p.getByRole("form", { name: "Edit alert rule Target rule" });
          await f.getByLabel("Name", { exact: true }).fill("Renamed by intruder");
          await f.getByRole("button", { name: "Save rule" }).click();
        }),
        await capture("delete", (p) => rule(p).getByRole("button", { name: "Delete Target rule" }).click()),
      ];
      expect(new Set(actions.map(([, a]) => a.headers["next-action"])).size).toBe(4);

      const snapshot = async () => ({
        rules: await sql`select r.id, r.name, r.enabled, r.throttle_seconds, r.job_types from alert_rules r join teams t on t.id = r.team_id where t.slug in (${team.slug}, ${TEAM}) order by r.created_at, r.id`,
        audit: (await sql<{ n: number }[]>`select count(*)::int as n from audit_events where action like 'alert_rule.%' and team_id in (select id from teams where slug in (${team.slug}, ${TEAM}))`)[0]!.n,
      });
      const before = await snapshot();
      for (const [name, action] of actions) {
        expect((await replayServerAction(member.request, action)).text, `${name} as a member`).toContain("You do not have permission to do that.");
        expect((await replayServerAction(otherAdmin.request, action)).text, `${name} as another team's admin`).toContain("Not found.");
        expect((await replayServerAction(anonymous.request, action)).text, `${name} signed out`).toContain("Sign in to continue.");
        if (name === "create") continue;
        // The rule's id aimed at through the replaying admin's own team (Acme): it does not exist there.
        const retargeted = { ...action, body: Buffer.from(action.body.toString("latin1").replaceAll(team.slug, TEAM), "latin1") };
        expect((await replayServerAction(otherAdmin.request, retargeted)).text, `${name} on another team's rule id`).toContain("That alert rule does not exist");
      }
      expect(await snapshot()).toEqual(before);
    } finally {
      await Promise.all([admin.close(), member.close(), otherAdmin.close(), anonymous.close()]);
      await sql.end();
    }
  });
});

test("the alert rules API refuses other teams' keys, read-only keys, members' keys, no key, and hostile input", async ({ request }) => {
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  try {
    const admin = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const readOnly = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email, scopes: ["jobs:read"] });
    // A member granted jobs:write still does not manage alert rules.
    await sql`update team_members set grants = '{jobs:read,jobs:write}' where user_id = (select id from users where email = ${team.member.email})`;
    const memberKey = await insertApiKey(sql, { team: team.slug, createdBy: team.member.email });
    const acme = await insertApiKey(sql, { team: TEAM, createdBy: "admin@runboard.local" });
    const bearer = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });
    const id = await seedRule(sql, team.slug, "API target");

    const calls = [
      (h: Record<string, string>) => request.get("/api/v1/alert-rules", { headers: h }),
      (h: Record<string, string>) => request.post("/api/v1/alert-rules", { headers: h, data: { name: "Intruder", jobTypes: ["contacts_import"] } }),
      (h: Record<string, string>) => request.get(`/api/v1/alert-rules/${id}`, { headers: h }),
      (h: Record<string, string>) => request.patch(`/api/v1/alert-rules/${id}`, { headers: h, data: { enabled: false } }),
      (h: Record<string, string>) => request.delete(`/api/v1/alert-rules/${id}`, { headers: h }),
    ];
    const snapshot = () => sql`select id, name, enabled, job_types, throttle_seconds from alert_rules where team_id = (select id from teams where slug = ${team.slug}) order by id`;
    const before = await snapshot();
    for (const [i, call] of calls.entries()) {
      expect((await call({})).status(), `call ${i} without a key`).toBe(401);
      expect((await call(bearer(readOnly))).status(), `call ${i} read-only key`).toBe(403);
      expect((await call(bearer(memberKey))).status(), `call ${i} member's key`).toBe(403);
      // Acme's key sees only Acme: the rule's own calls are 404.
      if (i >= 2) expect((await call(bearer(acme))).status(), `call ${i} another team's key`).toBe(404);
    }
    const acmeList = (await (await request.get("/api/v1/alert-rules", { headers: bearer(acme) })).json()) as { rules: { id: string }[] };
    expect(acmeList.rules.map((r) => r.id)).not.toContain(id);

    // Hostile input: 4xx, nothing stored. Bodies go as bytes (Playwright would JSON-encode a string again).
    const post = (data: unknown) => request.post("/api/v1/alert-rules", { headers: { ...bearer(admin), "content-type": "application/json" }, data: Buffer.from(typeof data === "string" ? data : JSON.stringify(data)) });
    const ok = { name: "x", jobTypes: ["contacts_import"] };
    expect((await post({ ...ok, name: "a\u0000b" })).status()).toBe(422);
    expect((await post({ ...ok, name: "a".repeat(1024 * 1024) })).status()).toBe(413);
    expect((await post({ ...ok, name: "a".repeat(101) })).status()).toBe(422);
    expect((await post({ ...ok, jobTypes: ["no_such_type"] })).status()).toBe(422);
    expect((await post({ ...ok, jobTypes: [] })).status()).toBe(422);
    expect((await post({ ...ok, statuses: ["completed"] })).status()).toBe(422);
    expect((await post({ ...ok, throttleMinutes: 0 })).status()).toBe(422);
    expect((await post({ ...ok, throttleMinutes: 1441 })).status()).toBe(422);
    expect((await post({ ...ok, project: "acme-app" })).status()).toBe(422); // Acme's project
    expect((await post({ ...ok, recipients: "members", recipientIds: [] })).status()).toBe(422);
    expect((await post({ ...ok, teamId: "00000000-0000-0000-0000-000000000000" })).status()).toBe(422);
    // 5000 levels of nesting (written by hand: JSON.stringify itself overflows): refused, not a 500.
    const deep = `{"name":${'{"a":'.repeat(5000)}"x"${"}".repeat(5000)},"jobTypes":["contacts_import"]}`;
    expect([400, 422]).toContain((await post(deep)).status());
    expect((await post("{not json")).status()).toBe(400);
    expect((await request.get("/api/v1/alert-rules/not-a-uuid", { headers: bearer(admin) })).status()).toBe(422);
    const invalid = await post({ ...ok, jobTypes: ["no_such_type"] });
    expect(((await invalid.json()) as { error: { fieldErrors: Record<string, string[]> } }).error.fieldErrors.jobTypes?.[0]).toContain("Unknown job type");
    expect(await snapshot()).toEqual(before);
  } finally {
    await sql`delete from alert_rules where name = 'Intruder'`;
    await sql.end();
  }
});
