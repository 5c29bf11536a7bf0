import { makeSubscriptions, startSubscriptionProvider, type SubscriptionProvider } from "../tests/support/subscription-provider";
import { expect, test } from "./support/test";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { TEAM } from "./support/team";

test.use({ storageState: storageState("admin") });

// The harness gives the worker SUBSCRIPTIONS_API_URL (a free local port) and the token; the
// provider is served here, on that port, over real HTTP.
let provider: SubscriptionProvider;

test.beforeAll(async () => {
  const url = new URL(process.env.SUBSCRIPTIONS_API_URL ?? "");
  provider = await startSubscriptionProvider({ port: Number(url.port), token: process.env.SUBSCRIPTIONS_API_TOKEN });
});
test.afterAll(async () => {
  await provider.close();
});

test("an admin runs a subscription sync: it completes, its calls (a 429, then success) are on the run page, the table is filled", async ({ page }) => {
  const account = `acme-billing-${Date.now().toString(36)}`;
  provider.setAccount(account, {
    subscriptions: makeSubscriptions(5),
    pageSize: 2,
    reply: (req, pg) => (pg.index === 1 && req.hit === 1 ? { status: 429, headers: { "retry-after": "1" }, body: JSON.stringify({ error: "rate limited" }) } : undefined),
  });

  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-subscription_sync");
  await expect(card.getByRole("heading", { name: "Subscription sync" })).toBeVisible();
  await card.getByLabel("Provider account").fill(account);
  await card.getByRole("button", { name: "Run" }).click();

  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("progress-counts")).toContainText("5 / 5 processed · Page 3: 5 created, 0 updated, 0 unchanged");
  await expect(page.getByRole("region", { name: "Payload and result" })).toContainText('"created": 5');

  // Every try, in order: page 1, page 2 rate-limited then retried, page 3.
  const calls = page.getByRole("region", { name: "Outbound calls" }).getByTestId("call");
  await expect(calls).toHaveCount(4);
  await expect(calls.nth(0)).toContainText(/GET\s*200/);
  await expect(calls.nth(1)).toContainText(/GET\s*429.*Retry-After: 1/);
  await expect(calls.nth(2)).toContainText(/GET\s*200.*retry 1/);
  await expect(calls.nth(3)).toContainText(/GET\s*200/);
  await expect(calls.nth(0)).toContainText(`/v1/accounts/${account}/subscriptions?limit=100`);
  // Opened, the 429 shows what the provider said and the token masked.
  await calls.nth(1).locator("summary").click();
  await expect(calls.nth(1)).toContainText("rate limited");
  await expect(calls.nth(1)).toContainText('"authorization": "***"');
  expect(await page.content()).not.toContain(provider.token);

  // The subscriptions are stored in the project, linked to the billing account the run names.
  const sql = e2eSql();
  try {
    const rows = await sql<{ external_id: string; plan: string; account_id: string }[]>`
      select s.external_id, s.plan, b.id as account_id from subscriptions s
      join billing_accounts b on b.id = s.billing_account_id
      join projects p on p.id = s.project_id
      where p.slug = ${PROJECT} and b.external_id = ${account} order by s.external_id`;
    expect(rows.map((r) => r.external_id)).toEqual(["sub_1", "sub_2", "sub_3", "sub_4", "sub_5"]);
    await page.getByRole("link", { name: /billing_account .* all runs/ }).click();
    await expect(page).toHaveURL(new RegExp(`/resources/billing_account/${rows[0]!.account_id}$`));
    await expect(page.getByRole("heading", { name: /Runs for billing_account/ })).toBeVisible();
    await expect(page.getByText("Subscription sync")).toBeVisible();
  } finally {
    await sql.end();
  }
});

test.describe("retry now", () => {
  // The capture helper aborts the admin's request before it reaches the server: the browser logs it.
  test.use({ allowConsoleErrors: /net::ERR_FAILED|Failed to fetch/ });
  test.describe.configure({ timeout: 120_000 });
  test("an admin skips a retry's backoff with Retry now; members, other teams and signed-out callers cannot, and a second Retry now is refused", async ({ page, browser, request }) => {
    const account = `acme-retry-${Date.now().toString(36)}`;
    // The first attempt is rate-limited on every try (Retry-After: 0, so it fails fast) and waits
    // 15–30 s for its retry; once `failing` is off the provider answers.
    let failing = true;
    provider.setAccount(account, {
      subscriptions: makeSubscriptions(2),
      pageSize: 2,
      reply: () => (failing ? { status: 429, headers: { "retry-after": "0" }, body: JSON.stringify({ error: "rate limited" }) } : undefined),
    });
    await page.goto(`/projects/${PROJECT}/jobs`);
    const card = page.getByTestId("job-type-subscription_sync");
    await card.getByLabel("Provider account").fill(account);
    await card.getByRole("button", { name: "Run" }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
    const runPath = new URL(page.url()).pathname;
    const runId = runPath.split("/").at(-1)!;
    const retryNow = page.getByRole("button", { name: "Retry now" });
    await expect(retryNow).toBeVisible({ timeout: 20_000 });
    await expect(page.getByText(/retry 2 due/)).toBeVisible();
    failing = false;

    // The real request, captured before it reaches the server, sent as others: refused, nothing changes.
    const action = await captureServerAction(page, () => retryNow.click());
    const sql = e2eSql();
    try {
      const runAt = async () => (await sql<{ run_at: Date; attempt_count: number }[]>`select run_at, attempt_count from job_runs where id = ${runId}`)[0]!;
      const before = await runAt();
      for (const role of ["member", "outsider"] as const) {
        const context = await browser.newContext({ storageState: storageState(role) });
        const reply = await replayServerAction(context.request, action);
        expect(reply.text, role).toMatch(role === "member" ? /You do not have permission to do that/ : /not found|Not found/);
        await context.close();
      }
      // No cookies at all (this file's test.use would otherwise give a new context the admin's).
      const signedOut = await browser.newContext({ storageState: { cookies: [], origins: [] } });
      expect((await replayServerAction(signedOut.request, action)).text).not.toContain('"ok":true');
      await signedOut.close();
      // REST: no key, a read-only key of the team, and another team's key.
      const readOnly = await insertApiKey(sql, { team: TEAM, createdBy: ACCOUNTS.admin.email, scopes: ["jobs:read"] });
      const otherTeam = await insertApiKey(sql, { team: "globex", createdBy: ACCOUNTS.outsider.email });
      const url = `/api/v1/projects/${PROJECT}/runs/${runId}/retry-now`;
      expect((await request.post(url)).status()).toBe(401);
      expect((await request.post(url, { headers: bearer(readOnly.key) })).status()).toBe(403);
      expect((await request.post(url, { headers: bearer(otherTeam.key) })).status()).toBe(404);
      expect((await request.post(`/api/v1/projects/globex-site/runs/${runId}/retry-now`, { headers: bearer(otherTeam.key) })).status()).toBe(404);
      const after = await runAt();
      expect(after.run_at.getTime()).toBe(before.run_at.getTime());
      expect(after.attempt_count).toBe(1);

      // The admin, for real: the second attempt runs now, not in 15–30 s.
      await page.reload();
      await page.getByRole("button", { name: "Retry now" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Next attempt queued now." })).toBeVisible();
      await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 12_000 });
      expect(Date.now()).toBeLessThan(before.run_at.getTime());
      await expect(page.getByRole("region", { name: "Audit trail" })).toContainText("Retry started now");

      // Not waiting any more: the API answers 409 and says why.
      const admin = await insertApiKey(sql, { team: TEAM, createdBy: ACCOUNTS.admin.email });
      const again = await request.post(url, { headers: bearer(admin.key) });
      expect(again.status()).toBe(409);
      expect((await again.json()).error).toMatchObject({ code: "not_waiting_for_retry", message: "The run is not waiting for a retry: it is completed." });
      const [audit] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where run_id = ${runId} and action = 'run.retry_now'`;
      expect(audit!.n).toBe(1);
    } finally {
      await sql.end();
    }
  });
});
