import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, test, vi } from "vitest";
import { subscriptions } from "@/lib/db/schema";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import { makeSubscriptions, startSubscriptionProvider, type AccountScript, type SubscriptionProvider } from "@/tests/support/subscription-provider";
import subscriptionSync, { billingAccountId } from "./subscription-sync";
import { MAX_PAGE_BYTES } from "./subscription-sync.handler";

// One attempt each, through the worker's own Runner, against a real local provider and Postgres.
// tests/integration/subscription-sync.test.ts runs the whole path (worker, retries, cancel, overlap).
const database = setupJobTestDatabase();
let provider: SubscriptionProvider;

beforeAll(async () => {
  provider = await startSubscriptionProvider();
});
beforeEach(() => {
  vi.stubEnv("SUBSCRIPTIONS_API_URL", provider.url);
  vi.stubEnv("SUBSCRIPTIONS_API_TOKEN", provider.token);
  vi.stubEnv("SUBSCRIPTIONS_API_TIMEOUT_MS", "2000");
});
afterAll(async () => {
  await provider.close();
  vi.unstubAllEnvs();
});

let accounts = 0;
/** One attempt of a sync of a fresh account that `script` describes. */
async function perform(script: AccountScript) {
  const account = `job-test-${++accounts}`;
  provider.setAccount(account, script);
  return { account, run: await performJob(subscriptionSync, { account }, { allowHosts: `127.0.0.1:${provider.port}` }) };
}

test("syncs every page into the project's subscriptions, with progress per page and the calls logged", async () => {
  const { account, run } = await perform({
    subscriptions: makeSubscriptions(5, "paged"),
    reply: (req, page) => (page.index === 1 && req.hit === 1 ? { status: 429, headers: { "retry-after": "0" }, body: "{}" } : undefined),
  });
  const { projectId } = await database().project();
  expect(run).toMatchObject({
    status: "completed",
    resource: { type: "billing_account", id: billingAccountId(projectId, account) },
    progress: { processed: 5, total: 5, percent: 100, message: "Page 3: 5 created, 0 updated, 0 unchanged" },
    result: { account, pages: 3, received: 5, created: 5, updated: 0, unchanged: 0, skipped: 0 },
  });
  expect(run.steps.map((s) => `${s.name}:${s.status}`)).toEqual(["open_account:completed", "finish:completed", "attempt:completed"]);
  expect(run.calls.map((c) => `${c.status}/${c.retry}`)).toEqual(["200/0", "429/0", "200/1", "200/0"]);
  expect(run.calls.every((c) => c.requestHeaders.authorization === "***")).toBe(true);
  const rows = await database().database.db.select().from(subscriptions).where(eq(subscriptions.billingAccountId, billingAccountId(projectId, account)));
  expect(rows).toHaveLength(5);
});

test("refuses an account id that is not the provider's kind of id", async () => {
  await expect(performJob(subscriptionSync, { account: "../admin" })).rejects.toThrow(/account/);
});

test("a page of the wrong shape fails; invalid items are skipped and reported", async () => {
  const shape = await perform({ subscriptions: [], reply: () => ({ status: 200, body: JSON.stringify({ items: [] }) }) });
  // Retryable (the provider may recover): the run waits for its next attempt.
  expect(shape.run).toMatchObject({ status: "pending", error: { subType: "malformed_response", retryable: true } });
  expect(shape.run.error!.message).toBe("page 1 is not a page of subscriptions: data: Invalid input: expected array, received undefined");

  // Ids of their own: every test here syncs into the same project.
  const subs: unknown[] = makeSubscriptions(4, "shape");
  subs[1] = { ...(subs[1] as object), amount: -5 };
  subs[2] = { ...(subs[2] as object), id: "shape_1" };
  subs[3] = "not an object";
  const items = await perform({ subscriptions: subs as never, pageSize: 4 });
  expect(items.run).toMatchObject({ status: "completed", result: { received: 4, created: 1, skipped: 3 } });
  expect(items.run.result!.itemErrors).toEqual([
    { page: 1, index: 1, id: "shape_2", reason: "amount: Too small: expected number to be >=0" },
    { page: 1, index: 2, id: "shape_1", reason: "the same id appears twice in this page" },
    { page: 1, index: 3, id: null, reason: "Invalid input: expected object, received string" },
  ]);
});

test("a cursor that comes back stops the sync, keeping the pages read, and is not retried", async () => {
  const { run } = await perform({ subscriptions: [], reply: () => ({ status: 200, body: JSON.stringify({ data: makeSubscriptions(2), next_cursor: "again" }) }) });
  expect(run).toMatchObject({ status: "failed", error: { subType: "cursor_loop", retryable: false } });
  expect(run.error!.message).toBe('The provider sent cursor "again" again after page 2; stopped instead of reading the same pages forever.');
  expect(run.calls).toHaveLength(2);
  expect(run.progress.processed).toBe(4);
});

test("empty pages that always point onwards stop after 10", async () => {
  const { run } = await perform({ subscriptions: [], reply: (req) => ({ status: 200, body: JSON.stringify({ data: [], next_cursor: `${req.cursor ?? ""}n` }) }) });
  expect(run).toMatchObject({ status: "failed", error: { subType: "cursor_loop" } });
  expect(run.error!.message).toContain("10 empty pages in a row");
  expect(run.calls).toHaveLength(10);
});

test("new cursors forever over the same subscriptions stop once far past the stated total", async () => {
  const { run } = await perform({ subscriptions: [], reply: (req) => ({ status: 200, body: JSON.stringify({ data: makeSubscriptions(2), next_cursor: `${req.cursor ?? ""}n`, total: 4 }) }) });
  expect(run).toMatchObject({ status: "failed", error: { subType: "cursor_loop" } });
  expect(run.error!.message).toBe("The provider has sent 110 subscriptions in 55 pages but says it has 4; stopped instead of reading on.");
  expect(run.calls).toHaveLength(55);
});

test("a huge page is refused without reading it whole, with or without a content-length", async () => {
  const big = JSON.stringify({ data: [], pad: "x".repeat(MAX_PAGE_BYTES) });
  const declared = await perform({ subscriptions: [], reply: () => ({ status: 200, body: big }) });
  expect(declared.run).toMatchObject({ status: "failed", error: { subType: "page_too_large", retryable: false } });
  expect(declared.run.error!.message).toBe(`page 1 is ${Buffer.byteLength(big)} bytes; a page may be at most ${MAX_PAGE_BYTES} bytes. Ask the provider for smaller pages.`);

  const streamed = await perform({ subscriptions: [], reply: () => ({ status: 200, body: big, chunked: true }) });
  expect(streamed.run).toMatchObject({ status: "failed", error: { subType: "page_too_large" } });
  expect(streamed.run.error!.message).toBe(`page 1 is larger than ${MAX_PAGE_BYTES} bytes; a page may be at most that. Ask the provider for smaller pages.`);
  // The log keeps only the body's first 4 KiB.
  expect(streamed.run.calls[0]!.responseBody!.length).toBeLessThan(5000);
});

test("a silent provider times out per try; one that stalls mid-body fails the attempt as a timeout", async () => {
  vi.stubEnv("SUBSCRIPTIONS_API_TIMEOUT_MS", "300");
  const silent = await perform({ subscriptions: makeSubscriptions(2), reply: (req) => (req.hit === 1 ? { hang: true } : undefined) });
  expect(silent.run).toMatchObject({ status: "completed" });
  expect(silent.run.calls.map((c) => [c.status, c.retry, c.error])).toEqual([
    [null, 0, "Timed out after 300 ms"],
    [200, 1, null],
  ]);

  // Past the 4 KiB the call log reads, ctx.fetch has returned: the handler's own deadline applies.
  const stalled = await perform({ subscriptions: makeSubscriptions(2), reply: () => ({ stallAfter: `{"data": [${" ".repeat(5000)}` }) });
  expect(stalled.run).toMatchObject({ status: "pending", error: { type: "timeout", subType: "api_timeout", retryable: true } });
  expect(stalled.run.error!.message).toBe("page 1 did not finish arriving within 300 ms (5010 bytes read)");
});

test("a body that is not JSON says what it was", async () => {
  const { run } = await perform({ subscriptions: [], reply: () => ({ status: 200, headers: { "content-type": "text/plain" }, body: "OK" }) });
  expect(run).toMatchObject({ status: "pending", error: { subType: "malformed_response" } });
  expect(run.error!.message).toBe('page 1 is not JSON (content-type text/plain, starts with "OK")');
});

test("a next_cursor that is a URL stays a query value: the sync never leaves the configured host", async () => {
  const { account, run } = await perform({
    subscriptions: [],
    reply: (req) => (req.cursor === null ? { status: 200, body: JSON.stringify({ data: [], next_cursor: "http://169.254.169.254/latest/meta-data/" }) } : { status: 200, body: JSON.stringify({ data: [] }) }),
  });
  expect(run).toMatchObject({ status: "completed", result: { pages: 2 } });
  expect(run.calls[1]!.url).toBe(`${provider.url}/accounts/${account}/subscriptions?limit=100&cursor=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F`);
});
