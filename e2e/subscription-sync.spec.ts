import { expect, test } from "@playwright/test";
import { makeSubscriptions, startSubscriptionProvider, type SubscriptionProvider } from "../tests/support/subscription-provider";
import { PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

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
