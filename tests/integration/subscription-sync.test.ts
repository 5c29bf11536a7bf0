import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { billingAccountId } from "@/jobs/subscription-sync";
import { billingAccounts, subscriptions } from "@/lib/db/schema";
import { listRunCalls } from "@/lib/jobs/web/run-calls";
import { cancelRun } from "@/lib/jobs/web/cancel";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import type { RecordedDelay } from "../support/scaled-retry";
import { createTenant, openTestEnv, runWorker, type Tenant, trigger, waitForRun } from "../support/fixtures";
import { makeSubscriptions, startSubscriptionProvider, type AccountScript, type SubscriptionProvider } from "../support/subscription-provider";

// The handler's guards against a hostile provider, one attempt each, are in jobs/subscription-sync.test.ts.
// Run-level retries (30 s, doubling) are real but 200 times shorter, so failing attempts fit in a test.
const delays = vi.hoisted(() => ({ computed: [] as RecordedDelay[] }));
vi.mock("@/lib/jobs/retry", async (importOriginal) => (await import("../support/scaled-retry")).scaleRetryDelays(await importOriginal(), delays.computed, 200));

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
let provider: SubscriptionProvider;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  provider = await startSubscriptionProvider();
  worker = await runWorker(t.url);
});
beforeEach(() => {
  // The provider is a local server: loopback is refused unless an operator allow-lists it.
  vi.stubEnv("OUTBOUND_ALLOW_HOSTS", `127.0.0.1:${provider.port}`);
  vi.stubEnv("SUBSCRIPTIONS_API_URL", provider.url);
  vi.stubEnv("SUBSCRIPTIONS_API_TOKEN", provider.token);
  vi.stubEnv("SUBSCRIPTIONS_API_TIMEOUT_MS", "2000");
});
afterAll(async () => {
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await provider.close();
  await t.drop();
  vi.unstubAllEnvs();
});

const ended = (r: { status: string }) => !["pending", "running"].includes(r.status);

/** A fresh tenant and account (the provider counts hits per account and cursor), synced once to its end. */
async function sync(script: AccountScript, options: { tenant?: Tenant; account?: string; timeoutMs?: number } = {}) {
  const tenant = options.tenant ?? (await createTenant(t.db));
  const account = options.account ?? `acct-${Math.random().toString(36).slice(2, 10)}`;
  provider.setAccount(account, script);
  const triggered = await trigger(t.db, boss, tenant, "subscription_sync", { account });
  if (!triggered.ok) throw new Error("trigger refused");
  const run = await waitForRun(t.db, triggered.runId, ended, options.timeoutMs ?? 20_000);
  const calls = await listRunCalls(t.db, triggered.runId);
  return { tenant, account, run, calls, requests: provider.requests.filter((r) => r.account === account) };
}

function stored(projectId: string) {
  return t.db.select().from(subscriptions).where(eq(subscriptions.projectId, projectId)).orderBy(asc(subscriptions.externalId));
}

describe("subscription_sync through the real worker", () => {
  test("pages through the provider, waits out a 429's Retry-After and a 503, upserts every subscription and links the account", async () => {
    const subs = makeSubscriptions(7);
    const { tenant, account, run, calls, requests } = await sync({
      subscriptions: subs,
      pageSize: 3,
      reply: (req, page) => {
        if (page.index === 1 && req.hit === 1) return { status: 429, headers: { "retry-after": "1" }, body: JSON.stringify({ error: "slow down" }) };
        if (page.index === 2 && req.hit === 1) return { status: 503, headers: { "retry-after": "0" }, body: "upstream busy" };
        return undefined;
      },
    });

    expect(run).toMatchObject({ status: "completed", attemptCount: 1, progressProcessed: 7, progressTotal: 7 });
    expect(run.result).toMatchObject({ account, pages: 3, received: 7, created: 7, updated: 0, unchanged: 0, skipped: 0, total: 7 });
    expect(run.progressMessage).toBe("Page 3: 7 created, 0 updated, 0 unchanged");
    // The resource is the billing account, whose row the sync wrote.
    const accountId = billingAccountId(tenant.projectId, account);
    expect(run).toMatchObject({ resourceType: "billing_account", resourceId: accountId });
    const [row] = await t.db.select().from(billingAccounts).where(eq(billingAccounts.id, accountId));
    expect(row).toMatchObject({ projectId: tenant.projectId, externalId: account });
    expect(row!.lastSyncedAt).toBeInstanceOf(Date);

    // Every try is on the call log, in order, with its status.
    expect(calls.map((c) => [c.responseStatus, c.retry])).toEqual([
      [200, 0],
      [429, 0],
      [200, 1],
      [503, 0],
      [200, 1],
    ]);
    expect(calls[0]!.url).toBe(`${provider.url}/accounts/${account}/subscriptions?limit=100`);
    expect(calls[1]!.url).toMatch(/\?limit=100&cursor=pg_/);
    expect(calls[1]!.responseBody).toContain("slow down");
    expect(calls[1]!.responseHeaders).toMatchObject({ "retry-after": "1", "content-type": "application/json" });
    // The token reached the provider and nowhere else: the log keeps "***".
    expect(requests.every((r) => r.authorization === `Bearer ${provider.token}`)).toBe(true);
    expect(calls.every((c) => c.requestHeaders.authorization === "***")).toBe(true);
    expect(JSON.stringify(calls)).not.toContain(provider.token);
    expect(JSON.stringify(run)).not.toContain(provider.token);
    // Retry-After: 1 was honoured (the retry came a second later, not after the backoff's half-second).
    const [limited, retried] = requests.filter((r) => r.cursor === requests[1]!.cursor);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);

    const rows = await stored(tenant.projectId);
    expect(rows).toHaveLength(7);
    const first = subs[0]!;
    expect(rows[0]).toMatchObject({
      externalId: first.id,
      billingAccountId: accountId,
      customer: first.customer,
      plan: first.plan,
      status: first.status,
      amountMinor: first.amount,
      currency: "usd",
      currentPeriodEnd: new Date(first.current_period_end!),
      providerUpdatedAt: new Date(first.updated_at),
    });
  });

  test("a second sync counts unchanged, updated and created rows, and never rolls a subscription back", async () => {
    const account = "acct-resync";
    const tenant = await createTenant(t.db);
    const v1 = makeSubscriptions(5);
    const first = await sync({ subscriptions: v1 }, { tenant, account });
    expect(first.run.result).toMatchObject({ pages: 3, created: 5, updated: 0, unchanged: 0 });

    const again = await sync({ subscriptions: v1 }, { tenant, account });
    expect(again.run.result).toMatchObject({ pages: 3, received: 5, created: 0, updated: 0, unchanged: 5 });

    const v2 = makeSubscriptions(6);
    v2[1] = { ...makeSubscriptions(2, "sub", 2)[1]!, status: "canceled" }; // newer: applied
    v2[2] = { ...v2[2]!, plan: "enterprise", updated_at: "2020-01-01T00:00:00Z" }; // older than stored: ignored
    const third = await sync({ subscriptions: v2 }, { tenant, account });
    expect(third.run.result).toMatchObject({ received: 6, created: 1, updated: 1, unchanged: 4 });
    const rows = await stored(tenant.projectId);
    expect(rows.map((r) => [r.externalId, r.status, r.plan])).toEqual([
      ["sub_1", "active", "pro_monthly"],
      ["sub_2", "canceled", "starter_monthly"],
      ["sub_3", "past_due", "starter_monthly"],
      ["sub_4", "canceled", "pro_monthly"],
      ["sub_5", "active", "starter_monthly"],
      ["sub_6", "trialing", "starter_monthly"],
    ]);
  });

  test("a page that is not JSON fails the attempt; the run's retry reads it again and completes", async () => {
    const { run, calls } = await sync({
      subscriptions: makeSubscriptions(4),
      reply: (req, page) => (page.index === 1 && req.hit === 1 ? { status: 200, headers: { "content-type": "text/html" }, body: "<html><body>Gateway hiccup</body></html>" } : undefined),
    });
    expect(run).toMatchObject({ status: "completed", attemptCount: 2 });
    // Page 1 of the failed attempt stayed stored: the second attempt finds it unchanged.
    expect(run.result).toMatchObject({ pages: 2, received: 4, created: 2, unchanged: 2 });
    expect(calls.map((c) => [c.attempt, c.responseStatus])).toEqual([
      [1, 200],
      [1, 200],
      [2, 200],
      [2, 200],
    ]);
    expect(calls[1]!.responseBody).toContain("Gateway hiccup");
  });

  test("a provider that only answers HTML fails the run after its retries, saying what it got", async () => {
    const { run } = await sync({ subscriptions: makeSubscriptions(2), reply: () => ({ status: 200, headers: { "content-type": "text/html" }, body: "<!doctype html><title>Login</title>" }) });
    expect(run).toMatchObject({ status: "dead_letter", attemptCount: 3 });
    expect(run.errorMessage).toBe('page 1 is not JSON (content-type text/html, starts with "<!doctype html><title>Login</title>")');
    expect(run.error).toMatchObject({ type: "api_error", source: "external_service", subType: "malformed_response" });
  });

  test("401 and 404 from the provider fail at once with what to check", async () => {
    vi.stubEnv("SUBSCRIPTIONS_API_TOKEN", "wrong-token-value-1234");
    const refused = await sync({ subscriptions: makeSubscriptions(1) });
    expect(refused.run).toMatchObject({ status: "failed", attemptCount: 1 });
    expect(refused.run.errorMessage).toBe("The provider refused the token for page 1 (HTTP 401). Check SUBSCRIPTIONS_API_TOKEN.");
    expect(JSON.stringify(refused.calls)).not.toContain("wrong-token-value-1234");

    vi.stubEnv("SUBSCRIPTIONS_API_TOKEN", provider.token);
    const tenant = await createTenant(t.db);
    const triggered = await trigger(t.db, boss, tenant, "subscription_sync", { account: "nobody-here" });
    if (!triggered.ok) throw new Error("trigger refused");
    const missing = await waitForRun(t.db, triggered.runId, ended);
    expect(missing.errorMessage).toBe('The provider has no account "nobody-here" (HTTP 404 for page 1). Check the account id.');
  });

  test("unconfigured, the run fails at once and names the missing setting; nothing is called", async () => {
    vi.stubEnv("SUBSCRIPTIONS_API_URL", "");
    const { run, calls } = await sync({ subscriptions: makeSubscriptions(1) });
    expect(run).toMatchObject({ status: "failed", attemptCount: 1 });
    expect(run.errorMessage).toBe("Subscription sync is not configured: set SUBSCRIPTIONS_API_URL in the worker's environment. See docs/subscription-sync.md.");
    expect(calls).toHaveLength(0);
  });

  test("one sync per account at a time; another account of the project may sync meanwhile", async () => {
    const tenant = await createTenant(t.db);
    const slow = { subscriptions: makeSubscriptions(6), reply: (_req: unknown, page: { body: string }) => ({ status: 200, body: page.body, delayMs: 200 }) };
    provider.setAccount("acct-one", slow);
    provider.setAccount("acct-two", slow);
    const first = await trigger(t.db, boss, tenant, "subscription_sync", { account: "acct-one" });
    const again = await trigger(t.db, boss, tenant, "subscription_sync", { account: "acct-one" });
    const other = await trigger(t.db, boss, tenant, "subscription_sync", { account: "acct-two" });
    if (!first.ok || !other.ok) throw new Error("trigger refused");
    expect(again).toMatchObject({ ok: false, code: "already_active", existingRunId: first.runId, overlap: "resource" });
    for (const runId of [first.runId, other.runId]) expect(await waitForRun(t.db, runId, ended)).toMatchObject({ status: "completed" });
    expect(await stored(tenant.projectId)).toHaveLength(6);
    // Both accounts sent the same ids: the project keeps one row per id (a provider id is unique across its accounts).
    const accounts = await t.db.select().from(billingAccounts).where(eq(billingAccounts.projectId, tenant.projectId));
    expect(accounts.map((a) => a.externalId).sort()).toEqual(["acct-one", "acct-two"]);
  });

  test("cancel stops between pages: the pages read stay stored, no further page is asked for", async () => {
    const tenant = await createTenant(t.db);
    const account = "acct-cancel";
    provider.setAccount(account, { subscriptions: makeSubscriptions(40), pageSize: 2, reply: (_req, page) => ({ status: 200, body: page.body, delayMs: 150 }) });
    const triggered = await trigger(t.db, boss, tenant, "subscription_sync", { account });
    if (!triggered.ok) throw new Error("trigger refused");
    await waitForRun(t.db, triggered.runId, (r) => (r.progressProcessed ?? 0) >= 4);
    await cancelRun(t.db, boss, triggered.runId, tenant.userId);
    const run = await waitForRun(t.db, triggered.runId, ended);
    expect(run.status).toBe("cancelled");
    const asked = provider.requests.filter((r) => r.account === account).length;
    const kept = (await stored(tenant.projectId)).length;
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(kept).toBeLessThan(40);
    await new Promise((r) => setTimeout(r, 500));
    expect(provider.requests.filter((r) => r.account === account)).toHaveLength(asked);
    const accountRow = await t.db.select().from(billingAccounts).where(and(eq(billingAccounts.projectId, tenant.projectId), eq(billingAccounts.externalId, account)));
    expect(accountRow[0]!.lastSyncedAt).toBeNull();
  });
});
