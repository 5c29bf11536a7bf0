import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { z } from "zod";
import demoPaced from "@/jobs/demo-paced";
import subscriptionSync from "@/jobs/subscription-sync";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { defineJob } from "@/lib/jobs/define";
import { triggerRun } from "@/lib/jobs/enqueue";
import partitionCreation from "@/lib/jobs/system/partition-creation";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import { makeSubscriptions, startSubscriptionProvider, type SubscriptionProvider } from "../support/subscription-provider";

/** The test helper's own contract: what it runs, what it returns, what it refuses. */
const database = setupJobTestDatabase();
let provider: SubscriptionProvider;

beforeAll(async () => {
  provider = await startSubscriptionProvider();
  vi.stubEnv("SUBSCRIPTIONS_API_URL", provider.url);
  vi.stubEnv("SUBSCRIPTIONS_API_TOKEN", provider.token);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await provider.close();
});

describe("performJob", () => {
  test("ctx.fetch reaches a local server only when the test allows its host, and every try is in the run's calls", async () => {
    provider.setAccount("acct-allowed", {
      subscriptions: makeSubscriptions(3),
      pageSize: 2,
      reply: (req, page) => (page.index === 1 && req.hit === 1 ? { status: 503, headers: { "retry-after": "0" }, body: "busy" } : undefined),
    });
    const run = await performJob(subscriptionSync, { account: "acct-allowed" }, { allowHosts: `127.0.0.1:${provider.port}` });
    expect(run).toMatchObject({ status: "completed", resource: { type: "billing_account" }, progress: { processed: 3, total: 3 } });
    expect(run.calls.map((c) => `${c.method} ${c.status} retry ${c.retry}`)).toEqual(["GET 200 retry 0", "GET 503 retry 0", "GET 200 retry 1"]);
    expect(run.calls[0]!.url).toContain(`127.0.0.1:${provider.port}`);
    // The bearer token never reaches the stored call log.
    expect(JSON.stringify(run.calls)).not.toContain(provider.token);

    // The same job without the allowance: the worker's outbound guard refuses loopback, as in production.
    provider.setAccount("acct-refused", { subscriptions: makeSubscriptions(1) });
    const refused = await performJob(subscriptionSync, { account: "acct-refused" });
    expect(refused).toMatchObject({ status: "failed", attempts: 1, error: { subType: "outbound_target_refused", retryable: false } });
    expect(refused.calls).toMatchObject([{ status: null, error: expect.stringMatching(/^Refused to call 127\.0\.0\.1: a loopback address/) }]);
    expect(provider.requests.filter((r) => r.account === "acct-refused")).toEqual([]);
  });

  test("an attempt past its timeout is aborted and fails as a timeout, as on a worker", async () => {
    const run = await performJob(demoPaced, { items: 1000, msPerItem: 20 }, { timeoutSeconds: 0.3 });
    expect(run).toMatchObject({ status: "failed", attempts: 1, error: { type: "timeout", subType: "run_timeout" } });
    expect(run.progress.processed).toBeLessThan(1000);
  });

  test("a system job type runs without a project", async () => {
    const run = await performJob(partitionCreation, { monthsAhead: 1 });
    expect(run).toMatchObject({ status: "completed", projectId: null, attempts: 1 });
  });

  test("refuses, with what to do, a definition not in the catalog, a project that does not exist, and a second active run", async () => {
    const stray = defineJob({
      name: "stray_job",
      label: "Stray",
      description: "Not registered in jobs/index.ts.",
      scope: "project",
      payload: z.object({}),
      retry: { limit: 0, delaySeconds: 0, backoff: false },
      schedule: null,
      overlap: "none",
      timeoutSeconds: null,
      handler: async () => ({ default: async () => ({}) }),
    });
    expect(getJobDefinition("stray_job")).toBeUndefined();
    await expect(performJob(stray, {})).rejects.toThrow(/stray_job is not the job type registered under that name: add it to jobs\/index\.ts/);
    await expect(performJob(demoPaced, { items: 1 }, { projectId: randomUUID() })).rejects.toThrow(/No project .* in the test database/);
    await expect(performJob(partitionCreation, {}, { projectId: randomUUID() })).rejects.toThrow(/system job type/);

    // demo_paced allows one active run per project: one left queued blocks the next.
    const { teamId, projectId } = await database().project();
    const { db } = database().database;
    const queued = await triggerRun(db, database().boss, { def: getJobDefinition("demo_paced")!, payload: demoPaced.payload.parse({ items: 1 }), teamId, projectId, triggeredBy: null, notify: false });
    expect(queued.ok).toBe(true);
    await expect(performJob(demoPaced, { items: 1 }, { projectId })).rejects.toThrow(/already has an active run .* overlap rule \("project"\)/);
  });
});
