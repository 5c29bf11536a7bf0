import { expect, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn, TEAM } from "./support/team";
import { seedWebhookTeam } from "./support/webhooks";

// Another team's webhook pages answer 404, which the browser logs.
test.use({ allowConsoleErrors: /status of 404/ });

test("a member, an outsider and a signed-out visitor see nothing of a team's webhooks", async ({ browser }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  const member = await signedIn(browser, team.member);
  const outsider = await browser.newContext({ storageState: storageState("admin") });
  const anonymous = await browser.newContext();
  try {
    const [row] = await sql<{ id: string }[]>`
      insert into webhook_endpoints (team_id, url, events, secret) select id, 'https://hooks.example.test/secret-path', '{run.completed}', 'whsec_not_for_you' from teams where slug = ${team.slug} returning id`;
    const endpointId = row!.id;
    const pages = [`/teams/${team.slug}/settings/webhooks`, `/teams/${team.slug}/settings/webhooks/${endpointId}`];
    const asMember = await member.newPage();
    for (const path of pages) {
      expect((await asMember.goto(path))?.status(), path).toBe(200);
      await expect(asMember.getByText(/You do not have permission to manage/)).toBeVisible();
      expect(await asMember.content()).not.toContain("secret-path");
    }
    // Acme's admin is an outsider here: not found, and nothing of the team in the page.
    const asOutsider = await outsider.newPage();
    for (const path of pages) {
      expect((await asOutsider.goto(path))?.status(), path).toBe(404);
      expect(await asOutsider.content()).not.toContain("secret-path");
    }
    // An Acme endpoint page with the other team's endpoint id is not found either.
    expect((await asOutsider.goto(`/teams/${TEAM}/settings/webhooks/${endpointId}`))?.status()).toBe(404);
    const signedOut = await anonymous.newPage();
    await signedOut.goto(pages[0]!);
    await expect(signedOut).toHaveURL(/\/sign-in/);
  } finally {
    await Promise.all([member.close(), outsider.close(), anonymous.close()]);
    await sql.end();
  }
});

test.describe("replayed actions", () => {
  // The capture helper stops each action's request before the server on purpose; the page logs that.
  test.use({ allowConsoleErrors: /status of 404|net::ERR_FAILED|Failed to fetch/ });

  test("every webhook action replayed by a member, another team's admin or a signed-out visitor changes nothing", async ({ browser }) => {
    test.setTimeout(150_000);
    const sql = e2eSql();
    const team = await seedWebhookTeam(sql);
    const admin = await signedIn(browser, team.admin);
    const member = await signedIn(browser, team.member);
    const otherAdmin = await browser.newContext({ storageState: storageState("admin") });
    const anonymous = await browser.newContext();
    try {
      const page = await admin.newPage();
      await page.goto(`/teams/${team.slug}/settings/webhooks`);
      const form = page.getByRole("form", { name: "Add webhook endpoint" });
      await form.getByLabel("URL").fill("https://hooks.example.test/target");
      await form.getByRole("button", { name: "Add endpoint" }).click();
      await expect(page.getByTestId("webhook-secret")).toBeVisible();

      const capture = async (name: string, submit: (p: Page) => Promise<void>): Promise<[string, CapturedAction]> => {
        const p = await admin.newPage();
        p.on("dialog", (dialog) => void dialog.accept());
        await p.goto(`/teams/${team.slug}/settings/webhooks`);
        await p.waitForLoadState("networkidle");
        return [name, await captureServerAction(p, () => submit(p))];
      };
      const endpoint = (p: Page) => p.getByTestId("webhook-endpoint");
      const actions = [
        await capture("create", async (p) => {
          const f = p.getByRole("form", { name: "Add webhook endpoint" });
          await f.getByLabel("URL").fill("https://intruder.example.test/");
          await f.getByRole("button", { name: "Add endpoint" }).click();
        }),
        await capture("disable", (p) => endpoint(p).getByRole("button", { name: "Disable" }).click()),
        await capture("rotate", (p) => endpoint(p).getByRole("button", { name: "Rotate secret" }).click()),
        await capture("delete", (p) => endpoint(p).getByRole("button", { name: /^Delete / }).click()),
        await capture("set events", async (p) => {
          await endpoint(p).getByText("Change events").click();
          await endpoint(p).getByLabel("run.completed").uncheck();
          await endpoint(p).getByRole("button", { name: "Save events" }).click();
        }),
      ];
      expect(new Set(actions.map(([, a]) => a.headers["next-action"])).size).toBe(5);

      const snapshot = async () => ({
        endpoints: await sql`select e.id, url, events, secret, enabled from webhook_endpoints e join teams t on t.id = e.team_id where t.slug in (${team.slug}, ${TEAM}) order by e.created_at`,
        audit: (await sql<{ n: number }[]>`select count(*)::int as n from audit_events where action like 'webhook.%' and team_id in (select id from teams where slug in (${team.slug}, ${TEAM}))`)[0]!.n,
      });
      const before = await snapshot();
      for (const [name, action] of actions) {
        expect((await replayServerAction(member.request, action)).text, `${name} as a member`).toContain("You do not have permission to do that.");
        expect((await replayServerAction(otherAdmin.request, action)).text, `${name} as another team's admin`).toContain("Not found.");
        expect((await replayServerAction(anonymous.request, action)).text, `${name} signed out`).toContain("Sign in to continue.");
        // Another team's endpoint id aimed at through the replaying admin's own team (Acme).
        if (name === "create") continue;
        const retargeted = { ...action, body: Buffer.from(action.body.toString("latin1").replaceAll(team.slug, TEAM), "latin1") };
        expect((await replayServerAction(otherAdmin.request, retargeted)).text, `${name} on another team's endpoint id`).toContain("That endpoint does not exist");
      }
      expect(await snapshot()).toEqual(before);
    } finally {
      await Promise.all([admin.close(), member.close(), otherAdmin.close(), anonymous.close()]);
      await sql.end();
    }
  });
});

test("the webhooks API refuses other teams' keys, read-only keys, members' keys, no key, and hostile input", async ({ request }) => {
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  try {
    const admin = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const readOnly = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email, scopes: ["jobs:read"] });
    // A member granted jobs:write still does not manage webhooks.
    await sql`update team_members set grants = '{jobs:read,jobs:write}' where user_id = (select id from users where email = ${team.member.email})`;
    const memberKey = await insertApiKey(sql, { team: team.slug, createdBy: team.member.email });
    const acme = await insertApiKey(sql, { team: TEAM, createdBy: "admin@runboard.local" });
    const bearer = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });
    const created = await request.post("/api/v1/webhooks", { headers: bearer(admin), data: { url: "https://hooks.example.test/api" } });
    expect(created.status()).toBe(201);
    const { endpoint, secret } = (await created.json()) as { endpoint: { id: string }; secret: string };
    const id = endpoint.id;

    const calls = [
      (h: Record<string, string>) => request.get("/api/v1/webhooks", { headers: h }),
      (h: Record<string, string>) => request.post("/api/v1/webhooks", { headers: h, data: { url: "https://intruder.example.test/" } }),
      (h: Record<string, string>) => request.get(`/api/v1/webhooks/${id}`, { headers: h }),
      (h: Record<string, string>) => request.patch(`/api/v1/webhooks/${id}`, { headers: h, data: { enabled: false } }),
      (h: Record<string, string>) => request.delete(`/api/v1/webhooks/${id}`, { headers: h }),
      (h: Record<string, string>) => request.post(`/api/v1/webhooks/${id}/rotate-secret`, { headers: h }),
      (h: Record<string, string>) => request.get(`/api/v1/webhooks/${id}/deliveries`, { headers: h }),
    ];
    for (const [i, call] of calls.entries()) {
      expect((await call({})).status(), `call ${i} without a key`).toBe(401);
      expect((await call(bearer(readOnly))).status(), `call ${i} read-only key`).toBe(403);
      expect((await call(bearer(memberKey))).status(), `call ${i} member's key`).toBe(403);
      // Acme's key sees only Acme: list and create act on Acme, the rest is 404.
      if (i >= 2) expect((await call(bearer(acme))).status(), `call ${i} another team's key`).toBe(404);
    }
    const acmeList = (await (await request.get("/api/v1/webhooks", { headers: bearer(acme) })).json()) as { endpoints: { id: string }[] };
    expect(acmeList.endpoints.map((e) => e.id)).not.toContain(id);

    // Hostile input: 4xx, nothing stored.
    const post = (data: unknown) => request.post("/api/v1/webhooks", { headers: { ...bearer(admin), "content-type": "application/json" }, data: JSON.stringify(data) });
    expect((await post({ url: "https://x.example.test/\u0000" })).status()).toBe(422);
    expect((await post({ url: `https://x.example.test/${"a".repeat(1024 * 1024)}` })).status()).toBe(413);
    expect((await post({ url: `https://x.example.test/${"a".repeat(3000)}` })).status()).toBe(422);
    expect((await post({ url: "ftp://x.example.test/" })).status()).toBe(422);
    expect((await post({ url: "https://user:pw@x.example.test/" })).status()).toBe(422);
    expect((await post({ url: "https://x.example.test/", events: ["run.started"] })).status()).toBe(422);
    expect((await post({ url: "https://x.example.test/", events: [] })).status()).toBe(422);
    expect((await request.get("/api/v1/webhooks/not-a-uuid", { headers: bearer(admin) })).status()).toBe(422);
    // A NUL in the query is refused before the route (400) or by it (422): either way nothing is read.
    const nulCursor = (await request.get(`/api/v1/webhooks/${id}/deliveries?cursor=${"%00"}`, { headers: bearer(admin) })).status();
    expect([400, 422]).toContain(nulCursor);

    const rows = await sql`select id, secret, enabled from webhook_endpoints e where team_id = (select id from teams where slug = ${team.slug})`;
    expect(rows).toEqual([{ id, secret, enabled: true }]);
  } finally {
    await sql`delete from webhook_endpoints where url = 'https://intruder.example.test/'`;
    await sql.end();
  }
});
