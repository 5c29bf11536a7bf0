import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "./support/test";
import { insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { signedIn } from "./support/team";
import { seedWebhookTeam } from "./support/webhooks";

const SHOTS = "/tmp/shots-alerts";

/** An import whose file has no email column: it fails at once, without retries (a validation error). */
async function failingImport(request: APIRequestContext, key: string, project: string, tag: string): Promise<string> {
  const csv = `name\nAda ${tag}\n`;
  const res = await request.post(`/api/v1/projects/${project}/runs`, {
    headers: { authorization: `Bearer ${key}` },
    data: { jobType: "contacts_import", payload: { fileId: { name: `no-email-${tag}.csv`, content: Buffer.from(csv).toString("base64"), encoding: "base64" } } },
  });
  expect(res.status()).toBe(201);
  const runId = ((await res.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/v1/projects/${project}/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string }).status, { timeout: 45_000 })
    .toBe("failed");
  return runId;
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a team admin adds an alert rule; a failed import emails the admins once, a second failure in the window is held for the digest", async ({ browser }) => {
  test.setTimeout(180_000);
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  const context = await signedIn(browser, team.admin);
  try {
    const page = await context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`/teams/${team.slug}/settings`);
    await page.getByRole("navigation", { name: "Team settings" }).getByRole("link", { name: "Alerts" }).click();
    await expect(page.getByRole("heading", { name: "Alerts", exact: true })).toBeVisible();
    await expect(page.getByText("No alert rules yet.")).toBeVisible();

    await page.getByRole("button", { name: "New alert rule" }).click();
    const form = page.getByRole("form", { name: "New alert rule" });
    await form.getByLabel("Name", { exact: true }).fill("Imports failing");
    await shoot(page, "alerts-form");
    // No job type chosen: refused with the field's message, nothing stored.
    await form.getByRole("button", { name: "Add rule" }).click();
    await expect(form.getByText("Choose at least one job type.")).toBeVisible();
    // What was typed survives the refusal (React resets a form after its action: we submit by hand).
    await expect(form.getByLabel("Name", { exact: true })).toHaveValue("Imports failing");
    await form.getByLabel("Import contacts").check();
    await form.getByLabel(/At most one email/).fill("30");
    await form.getByRole("button", { name: "Add rule" }).click();

    const rule = page.getByTestId("alert-rule");
    await expect(rule).toHaveCount(1);
    await expect(rule).toContainText("Imports failing");
    await expect(rule).toContainText("enabled");
    await expect(rule.getByTestId("rule-job-types")).toHaveText("contacts_import");
    await expect(rule.getByTestId("rule-summary")).toHaveText(/any project fails or is dead-lettered, email the owners and admins, at most once every 30 minutes per job type/);
    await expect(rule).toContainText("No alert sent yet");
    const ruleId = (await rule.getAttribute("data-rule-id"))!;
    const [stored] = await sql<{ throttle_seconds: number; job_types: string[] }[]>`select throttle_seconds, job_types from alert_rules where id = ${ruleId}`;
    expect(stored).toEqual({ throttle_seconds: 1800, job_types: ["contacts_import"] });

    // A failing run of the team: one alert email to the team's admin (the suite has no SMTP server,
    // so the worker's delivery leaves it in the outbox as `unsent`; tests/integration/alerts.test.ts sends through SMTP).
    const key = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const firstRun = await failingImport(page.request, key.key, team.project, "one");
    const alerts = () => sql<{ to_email: string; subject: string; body_text: string; run_id: string }[]>`select to_email, subject, body_text, run_id from notifications where alert_rule_id = ${ruleId} and kind = 'alert'`;
    await expect.poll(async () => (await alerts()).length, { timeout: 20_000 }).toBe(1);
    const [mail] = await alerts();
    expect(mail!.to_email).toBe(team.admin.email);
    expect(mail!.run_id).toBe(firstRun);
    expect(mail!.subject).toContain("Import contacts");
    expect(mail!.body_text).toContain(`/runs/${firstRun}`);

    // A second failure inside the 30-minute window: no second email, counted for the digest.
    await failingImport(page.request, key.key, team.project, "two");
    await expect.poll(async () => (await sql<{ suppressed: number }[]>`select suppressed from alert_windows where rule_id = ${ruleId}`)[0]?.suppressed, { timeout: 20_000 }).toBe(1);
    await page.waitForTimeout(2_000);
    expect(await alerts()).toHaveLength(1);
    expect(await sql`select 1 from notifications where alert_rule_id = ${ruleId} and to_email = ${team.member.email}`).toHaveLength(0);

    await page.reload();
    await expect(rule).toContainText("Last alert");
    await shoot(page, "alerts-list");

    // Disable, edit, delete.
    await rule.getByRole("switch", { name: "Imports failing enabled" }).click();
    await expect(rule).toContainText("disabled");
    expect((await sql<{ enabled: boolean }[]>`select enabled from alert_rules where id = ${ruleId}`)[0]!.enabled).toBe(false);
    await rule.getByRole("button", { name: "Edit Imports failing" }).click();
    const edit = page.getByRole("form", { name: "Edit alert rule Imports failing" });
    await edit.getByLabel(/At most one email/).fill("10");
    await edit.getByLabel("fails").uncheck();
    await edit.getByRole("button", { name: "Save rule" }).click();
    await expect(rule.getByTestId("rule-summary")).toHaveText(/is dead-lettered, email the owners and admins, at most once every 10 minutes/);
    await expect(edit).toHaveCount(0);
    await rule.getByRole("button", { name: "Delete Imports failing" }).click();
    await expect(page.getByText("No alert rules yet.")).toBeVisible();
    expect(await sql`select 1 from alert_rules where id = ${ruleId}`).toHaveLength(0);
    const audit = await sql<{ action: string }[]>`select action from audit_events where team_id = (select id from teams where slug = ${team.slug}) and action like 'alert_rule.%' order by created_at`;
    expect(audit.map((a) => a.action)).toEqual(["alert_rule.created", "alert_rule.updated", "alert_rule.updated", "alert_rule.deleted"]);
  } finally {
    await context.close();
    await sql.end();
  }
});

test("the alert rules API: create, read, patch and delete with an admin's jobs:write key", async ({ request }) => {
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  try {
    const key = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    const headers = { authorization: `Bearer ${key.key}` };
    const created = await request.post("/api/v1/alert-rules", { headers, data: { name: "Paced", jobTypes: ["demo_paced"], project: team.project, statuses: ["failed"], throttleMinutes: 5 } });
    expect(created.status()).toBe(201);
    const rule = (await created.json()) as { id: string; project: { slug: string }; throttleMinutes: number; recipients: string };
    expect(rule).toMatchObject({ project: { slug: team.project }, throttleMinutes: 5, recipients: "admins" });
    const list = (await (await request.get("/api/v1/alert-rules", { headers })).json()) as { rules: { id: string }[] };
    expect(list.rules.map((r) => r.id)).toEqual([rule.id]);
    const patched = await request.patch(`/api/v1/alert-rules/${rule.id}`, { headers, data: { enabled: false, project: null } });
    expect(patched.status()).toBe(200);
    expect(await patched.json()).toMatchObject({ enabled: false, project: null });
    expect((await request.get(`/api/v1/alert-rules/${rule.id}`, { headers })).status()).toBe(200);
    expect((await request.delete(`/api/v1/alert-rules/${rule.id}`, { headers })).status()).toBe(204);
    expect((await request.get(`/api/v1/alert-rules/${rule.id}`, { headers })).status()).toBe(404);
    const doc = (await (await request.get("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/alert-rules", "/alert-rules/{ruleId}"]));
    expect(doc.components.schemas).toHaveProperty("AlertRuleRequest");
  } finally {
    await sql.end();
  }
});

test("a rule for chosen members emails only them; members who cannot read runs are not offered", async ({ browser }) => {
  test.setTimeout(120_000);
  const sql = e2eSql();
  const team = await seedWebhookTeam(sql);
  const context = await signedIn(browser, team.admin);
  try {
    const page = await context.newPage();
    await page.goto(`/teams/${team.slug}/settings/alerts`);
    await page.getByRole("button", { name: "New alert rule" }).click();
    let form = page.getByRole("form", { name: "New alert rule" });
    await form.getByLabel("chosen members").check();
    // The member holds no jobs:read yet: the engine would never email them, so they are not offered.
    await expect(form.getByRole("group", { name: "Members to email" }).getByLabel(team.member.name)).toHaveCount(0);
    await sql`update team_members set grants = '{jobs:read}' where user_id = (select id from users where email = ${team.member.email})`;
    await page.reload();
    await page.getByRole("button", { name: "New alert rule" }).click();
    form = page.getByRole("form", { name: "New alert rule" });
    await form.getByLabel("Name", { exact: true }).fill("Tell Max");
    await form.getByLabel("Import contacts").check();
    await form.getByLabel("is dead-lettered").uncheck();
    await form.getByLabel("chosen members").check();
    await form.getByRole("button", { name: "Add rule" }).click();
    await expect(form.getByText("Choose at least one member to email.")).toBeVisible();
    await form.getByRole("group", { name: "Members to email" }).getByLabel(team.member.name).check();
    await form.getByRole("button", { name: "Add rule" }).click();
    const rule = page.getByTestId("alert-rule");
    await expect(rule.getByTestId("rule-summary")).toHaveText(new RegExp(`any project fails, email ${team.member.name}, at most once every 30 minutes`));
    const ruleId = (await rule.getAttribute("data-rule-id"))!;

    const key = await insertApiKey(sql, { team: team.slug, createdBy: team.admin.email });
    await failingImport(page.request, key.key, team.project, "max");
    await expect.poll(async () => (await sql<{ to_email: string }[]>`select to_email from notifications where alert_rule_id = ${ruleId}`).map((r) => r.to_email), { timeout: 20_000 }).toEqual([team.member.email]);
  } finally {
    await context.close();
    await sql.end();
  }
});
