import { copyFileSync, mkdirSync } from "node:fs";
import { expect, test } from "./support/test";
import { insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/team";
import { seedWebhookTeam, startReceiver, verify } from "./support/webhooks";

const SHOTS = "/work/wt/_shots/hooks";

test("a team admin registers an endpoint, a run's end arrives signed, and its attempts show on the settings page", async ({ browser }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  const receiver = await startReceiver();
  const context = await signedIn(browser, team.admin);
  try {
    const page = await context.newPage();
    await page.goto(`/teams/${team.slug}/settings`);
    await page.getByRole("navigation", { name: "Team settings" }).getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();
    await expect(page.getByText("No endpoints yet.")).toBeVisible();

    const form = page.getByRole("form", { name: "Add webhook endpoint" });
    await form.getByLabel("URL").fill(`${receiver.url}/runboard`);
    await form.getByLabel("Description").fill("On-call bot");
    await form.getByLabel("run.cancelled").uncheck();
    await form.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await page.getByTestId("webhook-secret").textContent())!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const endpoint = page.getByTestId("webhook-endpoint");
    await expect(endpoint).toHaveCount(1);
    await expect(endpoint).toContainText(`${receiver.url}/runboard`);
    await expect(endpoint).toContainText("enabled");
    await expect(endpoint.getByTestId("endpoint-events")).toHaveText("run.completedrun.failedrun.dead_letter");
    // The secret is not in the page once it is reloaded.
    await page.reload();
    expect(await page.content()).not.toContain(secret);

    // The worker re-reads which teams have endpoints every 5 s (HOOKED_TEAMS_TTL_MS): let it see this one.
    await page.waitForTimeout(6_000);
    // A run of the team ends (triggered through the API, as a script would).
    const key = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const triggered = await page.request.post(`/api/v1/projects/${team.project}/runs`, {
      headers: { authorization: `Bearer ${key.key}` },
      data: { jobType: "demo_paced", payload: { items: 2, msPerItem: 10 } },
    });
    expect(triggered.status()).toBe(201);
    const runId = ((await triggered.json()) as { id: string }).id;

    await expect.poll(() => receiver.received.length, { timeout: 45_000 }).toBe(1);
    const got = receiver.received[0]!;
    expect(got.path).toBe("/runboard");
    expect(got.headers["runboard-event"]).toBe("run.completed");
    const header = got.headers["runboard-signature"] as string;
    expect(verify(secret, got.body, header, Math.floor(got.at / 1000))).toBe("ok");
    expect(verify(secret, `${got.body} `, header, Math.floor(got.at / 1000))).toBe("mismatch");
    expect(verify(secret, got.body, header, Math.floor(got.at / 1000) + 301)).toBe("expired");
    const body = JSON.parse(got.body) as { type: string; data: { run: { id: string; status: string; projectSlug: string; url: string } } };
    expect(body).toMatchObject({ type: "run.completed", data: { run: { id: runId, status: "completed", projectSlug: team.project } } });
    expect(body.data.run.url).toMatch(new RegExp(`/projects/${team.project}/runs/${runId}$`));

    // The delivery and its attempt on the settings page, linked to the delivery run.
    // Followed by its address: a click before the page hydrated could be lost, and the reloads below would stay on the list.
    const deliveries = page.getByRole("link", { name: "Recent deliveries →" });
    await page.goto((await deliveries.getAttribute("href"))!);
    const delivery = page.getByTestId("webhook-delivery");
    await expect(async () => {
      await page.reload();
      await expect(delivery).toHaveCount(1);
      await expect(delivery).toContainText("delivered", { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(delivery).toContainText("run.completed");
    await expect(delivery).toContainText("1 attempt · last answer 200");
    const attempt = delivery.getByTestId("webhook-attempt");
    await expect(attempt).toHaveCount(1);
    await expect(attempt).toContainText("200");
    await expect(attempt).toContainText("thanks");

    mkdirSync(SHOTS, { recursive: true });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `.data/screenshots/webhook-deliveries-${width}.png`, fullPage: true });
      copyFileSync(`.data/screenshots/webhook-deliveries-${width}.png`, `${SHOTS}/webhook-deliveries-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await delivery.getByRole("link", { name: /Delivery run/ }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${team.project}/runs/[0-9a-f-]{36}$`));
    await expect(page.getByText("Webhook delivery").first()).toBeVisible();

    // Disable: the next run's end is not sent. Rotate: a new secret, shown once.
    await page.goto(`/teams/${team.slug}/settings/webhooks`);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `.data/screenshots/webhooks-${width}.png`, fullPage: true });
      copyFileSync(`.data/screenshots/webhooks-${width}.png`, `${SHOTS}/webhooks-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on("dialog", (dialog) => void dialog.accept());
    await endpoint.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = (await endpoint.getByTestId("webhook-secret").textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await endpoint.getByRole("button", { name: "Disable" }).click();
    await expect(endpoint.getByRole("status").filter({ hasText: "Endpoint disabled" })).toBeVisible();
    await expect(endpoint).toContainText("disabled");
    const second = await page.request.post(`/api/v1/projects/${team.project}/runs`, {
      headers: { authorization: `Bearer ${key.key}` },
      data: { jobType: "demo_paced", payload: { items: 1, msPerItem: 10 } },
    });
    const secondId = ((await second.json()) as { id: string }).id;
    await expect.poll(async () => (await sql`select status from job_runs where id = ${secondId}`)[0]?.status, { timeout: 45_000 }).toBe("completed");
    expect((await sql`select count(*)::int as n from webhook_deliveries where source_run_id = ${secondId}`)[0]!.n).toBe(0);
    expect(receiver.received).toHaveLength(1);

    // The audit log has each change; delete removes the endpoint.
    await endpoint.getByRole("button", { name: `Delete ${receiver.url}/runboard` }).click();
    await expect(page.getByText("No endpoints yet.")).toBeVisible();
    const actions = await sql<{ action: string }[]>`select action from audit_events a join teams t on t.id = a.team_id where t.slug = ${team.slug} and action like 'webhook.%' order by a.created_at`;
    expect(actions.map((a) => a.action)).toEqual(["webhook.created", "webhook.secret_rotated", "webhook.updated", "webhook.deleted"]);
  } finally {
    await context.close();
    await receiver.close();
    await sql.end();
  }
});

test("the REST API manages the team's endpoints with an admin's key", async ({ request }) => {
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  try {
    const key = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const auth = { authorization: `Bearer ${key.key}` };
    const created = await request.post("/api/v1/webhooks", { headers: auth, data: { url: "https://hooks.example.test/in", events: ["run.failed", "run.dead_letter"] } });
    expect(created.status()).toBe(201);
    const { endpoint, secret } = (await created.json()) as { endpoint: { id: string; events: string[]; enabled: boolean }; secret: string };
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ events: ["run.failed", "run.dead_letter"], enabled: true });

    const listed = (await (await request.get("/api/v1/webhooks", { headers: auth })).json()) as { endpoints: { id: string }[] };
    expect(listed.endpoints.map((e) => e.id)).toEqual([endpoint.id]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    const patched = await request.patch(`/api/v1/webhooks/${endpoint.id}`, { headers: auth, data: { enabled: false, events: ["run.completed"] } });
    expect(patched.status()).toBe(200);
    expect(await patched.json()).toMatchObject({ id: endpoint.id, enabled: false, events: ["run.completed"] });
    const rotated = (await (await request.post(`/api/v1/webhooks/${endpoint.id}/rotate-secret`, { headers: auth })).json()) as { secret: string };
    expect(rotated.secret).not.toBe(secret);
    const deliveries = await request.get(`/api/v1/webhooks/${endpoint.id}/deliveries`, { headers: auth });
    expect(await deliveries.json()).toEqual({ deliveries: [], nextCursor: null });
    expect((await request.delete(`/api/v1/webhooks/${endpoint.id}`, { headers: auth })).status()).toBe(204);
    expect((await request.get(`/api/v1/webhooks/${endpoint.id}`, { headers: auth })).status()).toBe(404);

    const spec = (await (await request.get("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/webhooks", "/webhooks/{endpointId}", "/webhooks/{endpointId}/rotate-secret", "/webhooks/{endpointId}/deliveries"]));
  } finally {
    await sql.end();
  }
});
