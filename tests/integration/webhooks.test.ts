import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { jobRunCalls, jobRuns, webhookDeliveries, webhookEndpoints, type WebhookEvent } from "@/lib/db/schema";
import type { RetryPolicy } from "@/lib/jobs/define";
import { JobError } from "@/lib/jobs/errors";
import { cancelRun } from "@/lib/jobs/web/cancel";
import { forgetHookedTeams, type WebhookBody } from "@/lib/webhooks/enqueue";
import { newWebhookSecret, signatureHeader, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from "@/lib/webhooks/signature";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { createTenant, openTestEnv, runWorker, type Tenant, trigger, waitForRun } from "../support/fixtures";

/** The catalog's own backoff (recorded), divided so five attempts take a second or two. */
const retries = vi.hoisted(() => ({ speedup: 300, computed: [] as { policy: RetryPolicy; attempt: number; seconds: number }[] }));
// Runs end in seconds; the margins are for a loaded machine.
vi.setConfig({ testTimeout: 180_000 });
vi.mock("@/lib/jobs/retry", async (importOriginal) =>
  (await import("../support/scaled-retry")).scaleRetryDelays(await importOriginal(), retries.computed, retries.speedup),
);

type Received = { path: string; headers: IncomingHttpHeaders; body: string; at: number };
/** How the receiver answers a path: the nth request to it (1-based) decides. */
type Behaviour = (n: number, res: ServerResponse) => void;

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker | undefined;
let server: Server;
let base: string;
const received: Received[] = [];
const behaviours = new Map<string, Behaviour>();
const counts = new Map<string, number>();

function startReceiver(): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      (behaviours.get(path) ?? ((_, r) => r.end("ok")))(n, res);
    });
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  server = await startReceiver();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv("OUTBOUND_ALLOW_HOSTS", "127.0.0.1");
  vi.stubEnv("RUNBOARD_URL", "https://runboard.example.test");
});

/** The worker starts after the pending-cancel test, so that run is certainly never claimed. */
async function startWorker(): Promise<void> {
  worker ??= await runWorker(t.url, {
    handlers: {
      // items picks the outcome: 13 fails for good (with a secret in the message), else completes.
      demo_paced: async (ctx) => {
        if (ctx.payload.items === 13) throw new JobError("upstream said no, password=hunter2", { type: "api_error", subType: "test_refusal", retryable: false });
        return { ok: true };
      },
    },
  });
}
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop();
  await boss.stop({ graceful: false, close: true });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.drop();
});

async function addEndpoint(tenant: Tenant, path: string, events: WebhookEvent[] = ["run.completed", "run.failed", "run.dead_letter", "run.cancelled"], url = `${base}${path}`) {
  const secret = newWebhookSecret();
  const [row] = await t.db.insert(webhookEndpoints).values({ teamId: tenant.teamId, url, events, secret }).returning();
  forgetHookedTeams();
  return row!;
}

async function runToEnd(tenant: Tenant, items = 1): Promise<string> {
  await startWorker();
  const result = await trigger(t.db, boss, tenant, "demo_paced", { items, msPerItem: 10 });
  if (!result.ok) throw new Error("trigger refused");
  await waitForRun(t.db, result.runId, (r) => r.status !== "pending" && r.status !== "running", 60_000);
  return result.runId;
}

const deliveriesOf = (sourceRunId: string) => t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.sourceRunId, sourceRunId)).orderBy(asc(webhookDeliveries.createdAt));
const ended = (r: { status: string }) => r.status !== "pending" && r.status !== "running";

async function settledDelivery(sourceRunId: string, timeoutMs = 60_000) {
  await startWorker();
  const [delivery, ...more] = await deliveriesOf(sourceRunId);
  expect(more).toHaveLength(0);
  expect(delivery).toBeDefined();
  const run = await waitForRun(t.db, delivery!.runId, ended, timeoutMs);
  const [after] = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery!.id));
  return { delivery: after!, run };
}

describe("signatures", () => {
  test("verify over the raw body, refuse a changed body, another secret, and an old or future timestamp (replay)", () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ hello: "world" });
    const now = 1_800_000_000;
    const header = signatureHeader(secret, body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, now)).toEqual({ ok: true, timestamp: now });
    expect(verifySignature(secret, `${body} `, header, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifySignature(newWebhookSecret(), body, header, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifySignature(secret, body, header, now + SIGNATURE_TOLERANCE_SECONDS)).toMatchObject({ ok: true });
    expect(verifySignature(secret, body, header, now + SIGNATURE_TOLERANCE_SECONDS + 1)).toEqual({ ok: false, reason: "expired" });
    expect(verifySignature(secret, body, header, now - SIGNATURE_TOLERANCE_SECONDS - 1)).toEqual({ ok: false, reason: "expired" });
    // A replayed body under a fresh timestamp needs the secret to sign it.
    expect(verifySignature(secret, body, header.replace("t=1800000000", `t=${now + 600}`), now + 600)).toEqual({ ok: false, reason: "mismatch" });
    for (const bad of [null, "", "t=1", "v1=abc", "t=x,v1=" + "0".repeat(64), "t=1800000000,v1=zz"]) expect(verifySignature(secret, body, bad, now)).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("a run's end", () => {
  test("a cancel of a pending run queues its delivery in the cancel's transaction", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/cancelled");
    // No worker runs yet (startWorker comes after): the cancel certainly finds it pending.
    expect(worker).toBeUndefined();
    const result = await trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 });
    if (!result.ok) throw new Error("trigger refused");
    expect(await cancelRun(t.db, boss, result.runId, tenant.userId)).toEqual({ outcome: "cancelled", status: "cancelled" });
    const { delivery } = await settledDelivery(result.runId);
    expect(delivery).toMatchObject({ event: "run.cancelled", status: "delivered" });
  });

  test("is POSTed signed to the team's endpoint by a delivery run in the same project, recorded in its call log", async () => {
    const tenant = await createTenant(t.db);
    const endpoint = await addEndpoint(tenant, "/ok");
    const runId = await runToEnd(tenant);
    const { delivery, run } = await settledDelivery(runId);
    expect(run).toMatchObject({ status: "completed", jobType: "webhook_delivery", teamId: tenant.teamId, projectId: tenant.projectId, attemptCount: 1 });
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, lastResponseStatus: 200, lastResponseExcerpt: "ok", event: "run.completed" });

    const got = received.filter((r) => r.path === "/ok");
    expect(got).toHaveLength(1);
    const req = got[0]!;
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["runboard-event"]).toBe("run.completed");
    expect(req.headers["runboard-delivery"]).toBe(delivery.id);
    const header = req.headers["runboard-signature"] as string;
    const sentAt = Math.floor(req.at / 1000);
    expect(verifySignature(endpoint.secret, req.body, header, sentAt)).toMatchObject({ ok: true });
    // The same request replayed six minutes later is refused.
    expect(verifySignature(endpoint.secret, req.body, header, sentAt + 6 * 60)).toEqual({ ok: false, reason: "expired" });
    const body = JSON.parse(req.body) as WebhookBody;
    expect(body).toMatchObject({ id: delivery.id, type: "run.completed", data: { run: { id: runId, jobType: "demo_paced", status: "completed", error: null, attempts: 1 } } });
    expect(body.data.run.url).toMatch(new RegExp(`^https://runboard\\.example\\.test/projects/project-[0-9a-f]+/runs/${runId}$`));

    const calls = await t.db.select().from(jobRunCalls).where(eq(jobRunCalls.runId, run.id));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: "POST", responseStatus: 200, url: `${base}/ok` });
    // The delivery's own end produced no webhook (no loops).
    expect(await deliveriesOf(run.id)).toHaveLength(0);
  });

  test("carries the redacted error of a failed run, and only to endpoints subscribed to the event", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/failed-only", ["run.failed"]);
    await addEndpoint(tenant, "/completed-only", ["run.completed"]);
    const disabled = await addEndpoint(tenant, "/disabled");
    await t.db.update(webhookEndpoints).set({ enabled: false }).where(eq(webhookEndpoints.id, disabled.id));
    const runId = await runToEnd(tenant, 13);
    const { delivery } = await settledDelivery(runId);
    expect(delivery).toMatchObject({ status: "delivered", event: "run.failed" });
    const body = JSON.parse(received.find((r) => r.path === "/failed-only")!.body) as WebhookBody;
    expect(body.type).toBe("run.failed");
    expect(body.data.run.error?.message).toContain("upstream said no");
    expect(body.data.run.error?.message).not.toContain("hunter2");
    expect(received.filter((r) => r.path === "/completed-only" || r.path === "/disabled")).toHaveLength(0);
  });

});

describe("retries", () => {
  test("a 500 is retried with the catalog's backoff, then succeeds; each attempt is signed afresh", async () => {
    const tenant = await createTenant(t.db);
    const endpoint = await addEndpoint(tenant, "/flaky");
    behaviours.set("/flaky", (n, res) => {
      res.statusCode = n === 1 ? 500 : 204;
      res.end(n === 1 ? "try later" : undefined);
    });
    const before = retries.computed.length;
    const runId = await runToEnd(tenant);
    const { delivery, run } = await settledDelivery(runId);
    expect(run).toMatchObject({ status: "completed", attemptCount: 2 });
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2, lastResponseStatus: 204 });
    const delays = retries.computed.slice(before).filter((d) => d.policy.delaySeconds === 30);
    expect(delays.map((d) => d.attempt)).toEqual([1]);
    expect(delays[0]!.seconds).toBeGreaterThanOrEqual(15);
    const got = received.filter((r) => r.path === "/flaky");
    expect(got).toHaveLength(2);
    expect(got[1]!.body).toBe(got[0]!.body);
    for (const r of got) expect(verifySignature(endpoint.secret, r.body, r.headers["runboard-signature"] as string, Math.floor(r.at / 1000))).toMatchObject({ ok: true });
    const calls = await t.db.select().from(jobRunCalls).where(eq(jobRunCalls.runId, run.id)).orderBy(asc(jobRunCalls.createdAt));
    expect(calls.map((c) => [c.attempt, c.responseStatus])).toEqual([
      [1, 500],
      [2, 204],
    ]);
  });

  test("an endpoint that keeps failing dead-letters the delivery after five attempts, with doubling backoff", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/down");
    behaviours.set("/down", (_, res) => {
      res.statusCode = 503;
      res.end("down for maintenance, token=abc123secret");
    });
    const before = retries.computed.length;
    const runId = await runToEnd(tenant);
    const { delivery, run } = await settledDelivery(runId, 90_000);
    expect(run).toMatchObject({ status: "dead_letter", attemptCount: 5 });
    expect(delivery).toMatchObject({ status: "failed", attempts: 5, lastResponseStatus: 503 });
    expect(delivery.lastResponseExcerpt).toContain("down for maintenance");
    expect(delivery.lastResponseExcerpt).not.toContain("abc123secret");
    const delays = retries.computed.slice(before).filter((d) => d.policy.delaySeconds === 30);
    expect(delays.map((d) => d.attempt)).toEqual([1, 2, 3, 4]);
    delays.forEach((d, i) => expect(d.seconds).toBeGreaterThanOrEqual(15 * 2 ** i));
    expect(received.filter((r) => r.path === "/down")).toHaveLength(5);
  });
});

describe("hostile receivers and targets", () => {
  test("a loopback URL not in OUTBOUND_ALLOW_HOSTS is refused before connecting, and not retried", async () => {
    const tenant = await createTenant(t.db);
    // 127.0.0.2 is loopback too, and only 127.0.0.1 is allow-listed.
    const other = `http://127.0.0.2:${(server.address() as AddressInfo).port}/private`;
    await addEndpoint(tenant, "/private", undefined, other);
    const runId = await runToEnd(tenant);
    const { delivery, run } = await settledDelivery(runId);
    expect(run).toMatchObject({ status: "failed", attemptCount: 1 });
    expect(delivery.status).toBe("failed");
    expect(delivery.lastResponseExcerpt).toMatch(/loopback address/);
    expect(received.filter((r) => r.path === "/private")).toHaveLength(0);
  });

  test("a redirect is not followed", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/redirect");
    behaviours.set("/redirect", (_, res) => {
      res.statusCode = 307;
      res.setHeader("location", "http://169.254.169.254/latest/meta-data/");
      res.end();
    });
    const runId = await runToEnd(tenant);
    const [first] = await deliveriesOf(runId);
    // Stop after the first attempt's outcome: the rest is the retry path tested above.
    await waitForRun(t.db, first!.runId, (r) => r.attemptCount >= 1 && r.status !== "running");
    const [row] = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, first!.id));
    expect(row).toMatchObject({ lastResponseStatus: 307 });
    const calls = await t.db.select().from(jobRunCalls).where(eq(jobRunCalls.runId, first!.runId));
    expect(calls.some((c) => c.url.includes("169.254"))).toBe(false);
  });

  test("a 10 MB answer is read only as far as its excerpt", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/huge");
    behaviours.set("/huge", (_, res) => {
      res.setHeader("content-type", "text/plain");
      res.end("x".repeat(10 * 1024 * 1024));
    });
    const runId = await runToEnd(tenant);
    const { delivery, run } = await settledDelivery(runId);
    expect(run.status).toBe("completed");
    expect(delivery.lastResponseExcerpt!.length).toBeLessThanOrEqual(1024);
  });

  test("a receiver that never answers fails the attempt after the 10 s timeout", async () => {
    const tenant = await createTenant(t.db);
    await addEndpoint(tenant, "/hang");
    behaviours.set("/hang", () => undefined);
    const runId = await runToEnd(tenant);
    const [first] = await deliveriesOf(runId);
    const started = Date.now();
    const until = Date.now() + 20_000;
    let row: typeof webhookDeliveries.$inferSelect | undefined;
    while (Date.now() < until) {
      [row] = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, first!.id));
      if (row && row.attempts >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.attempts).toBe(1);
    expect(row?.lastResponseStatus).toBeNull();
    expect(row?.lastResponseExcerpt).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(15_000);
    await t.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row!.endpointId));
  }, 30_000);

  test("deleting an endpoint ends its pending deliveries without a request", async () => {
    const tenant = await createTenant(t.db);
    const endpoint = await addEndpoint(tenant, "/deleted");
    behaviours.set("/deleted", (_, res) => {
      res.statusCode = 500;
      res.end();
    });
    const runId = await runToEnd(tenant);
    const [first] = await deliveriesOf(runId);
    await waitForRun(t.db, first!.runId, (r) => r.attemptCount >= 1 && r.status === "pending");
    await t.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    const run = await waitForRun(t.db, first!.runId, ended);
    expect(run.status).toBe("completed");
    expect(counts.get("/deleted")).toBe(1);
    const [source] = await t.db.select({ status: jobRuns.status }).from(jobRuns).where(eq(jobRuns.id, runId));
    expect(source?.status).toBe("completed");
  });
});
