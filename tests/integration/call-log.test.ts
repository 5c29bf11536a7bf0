import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { listRunCalls } from "@/lib/jobs/web/run-calls";
import { createTrackedFetch } from "@/lib/jobs/worker/call-log";
import { cancelRun } from "@/lib/jobs/web/cancel";
import { JobError } from "@/lib/jobs/errors";
import { listRunsForResource } from "@/lib/jobs/web/resources";
import type { JobContext } from "@/lib/jobs/define";
import demoPaced from "@/jobs/demo-paced.handler";
import type { DemoPacedPayload } from "@/jobs/demo-paced";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { createTenant, openTestEnv, runWorker, type Tenant, trigger, uploadFile, waitForRun } from "../support/fixtures";

type Scenario = (ctx: JobContext<DemoPacedPayload>) => Promise<Record<string, unknown>>;
type Seen = { method: string; path: string; query: string; headers: IncomingHttpHeaders; body: string; at: number; closed: boolean };

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
let server: Server;
let base: string;
const seen: Seen[] = [];
const hits = new Map<string, number>();
// demo_paced runs look up what to do by their project: each test brings its own tenant.
const scenarios = new Map<string, Scenario>();

const BIG_BODY = "0123456789".repeat(1000);
const BINARY_BODY = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 7));

/** A real HTTP server whose routes play the upstream APIs a handler calls. */
function startServer(): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const entry: Seen = { method: req.method ?? "", path: url.pathname, query: url.search, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now(), closed: false };
      seen.push(entry);
      const count = (hits.get(url.pathname) ?? 0) + 1;
      hits.set(url.pathname, count);
      const [, route] = url.pathname.split("/");
      if (route === "echo") {
        setTimeout(() => {
          res.writeHead(201, { "content-type": "application/json" });
          res.end(JSON.stringify({ received: entry.body.length, api_key: "k-9f8e7d6c5b4a" }));
        }, 30);
      } else if (route === "flaky") {
        res.writeHead(count <= 2 ? 503 : 200, { "content-type": "text/plain" });
        res.end(count <= 2 ? "try later" : "ok");
      } else if (route === "limited") {
        res.writeHead(count === 1 ? 429 : 200, count === 1 ? { "retry-after": "1", "set-cookie": "session=s3cr3t-cookie; HttpOnly", "x-ratelimit-remaining": "0" } : {});
        res.end(count === 1 ? "slow down" : "ok");
      } else if (route === "big") {
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(BIG_BODY.length) });
        res.end(BIG_BODY);
      } else if (route === "binary") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(BINARY_BODY.length) });
        res.end(BINARY_BODY);
      } else if (route === "slow") {
        const timer = setTimeout(() => res.end("finally"), 10_000);
        res.on("close", () => {
          clearTimeout(timer);
          entry.closed = true;
        });
      } else {
        res.writeHead(404).end();
      }
    });
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  // The upstream here is a local server: loopback is refused unless an operator allow-lists it.
  vi.stubEnv("OUTBOUND_ALLOW_HOSTS", "127.0.0.1");
  ({ t, boss } = await openTestEnv());
  server = await startServer();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  worker = await runWorker(t.url, {
    handlers: {
      demo_paced: async (ctx) => {
        const scenario = ctx.projectId ? scenarios.get(ctx.projectId) : undefined;
        return scenario ? scenario(ctx) : demoPaced(ctx);
      },
    },
  });
});
afterAll(async () => {
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t.drop();
  vi.unstubAllEnvs();
});

async function startScenario(scenario: Scenario): Promise<{ tenant: Tenant; runId: string }> {
  const tenant = await createTenant(t.db);
  scenarios.set(tenant.projectId, scenario);
  const result = await trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 });
  if (!result.ok) throw new Error("trigger refused");
  return { tenant, runId: result.runId };
}

async function runScenario(scenario: Scenario) {
  const { runId } = await startScenario(scenario);
  const run = await waitForRun(t.db, runId, (r) => r.status !== "pending" && r.status !== "running");
  return { run, calls: await listRunCalls(t.db, runId) };
}

describe("ctx.fetch", () => {
  test("records a POST with status, duration, redacted headers and URL, and both bodies", async () => {
    const { run, calls } = await runScenario(async (ctx) => {
      const res = await ctx.fetch(`${base}/echo?token=abc123&page=1`, {
        method: "POST",
        headers: { Authorization: "Bearer live-secret-123456", "Content-Type": "application/json", "X-Trace": "t-1" },
        body: JSON.stringify({ name: "Ada", password: "hunter2" }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    });
    // The handler and the server see everything; only the log is redacted.
    expect(run).toMatchObject({ status: "completed", result: { status: 201, body: { received: 35, api_key: "k-9f8e7d6c5b4a" } } });
    // The copy tenants read was redacted once, when the worker wrote the result.
    expect(run).toMatchObject({ resultPublic: { status: 201, body: { received: 35, api_key: "***" } }, payloadPublic: { items: 1, msPerItem: 10 } });
    expect(seen.find((s) => s.path === "/echo")?.headers.authorization).toBe("Bearer live-secret-123456");
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call).toMatchObject({
      attempt: 1,
      retry: 0,
      method: "POST",
      url: `${base}/echo?token=***&page=1`,
      requestBody: '{"name":"Ada","password":"***"}',
      responseStatus: 201,
      responseBody: '{"received":35,"api_key":"***"}',
      error: null,
      // Written redacted, and marked so: the run page shows it as stored (no redaction on read).
      redacted: true,
    });
    expect(call.requestHeaders).toEqual({ authorization: "***", "content-type": "application/json", "x-trace": "t-1" });
    expect(call.durationMs).toBeGreaterThanOrEqual(25);
    expect(call.durationMs).toBeLessThan(5_000);
    expect(JSON.stringify(call)).not.toMatch(/live-secret|hunter2|abc123|k-9f8e7d6c5b4a/);
  });

  test("retries 503 twice then succeeds: three rows, retry 0,1,2 with statuses 503,503,200", async () => {
    const { run, calls } = await runScenario(async (ctx) => {
      const res = await ctx.fetch(`${base}/flaky/a`, undefined, { retries: 2, backoffMs: 20 });
      return { status: res.status, text: await res.text() };
    });
    expect(run).toMatchObject({ status: "completed", result: { status: 200, text: "ok" } });
    expect(calls.map((c) => [c.attempt, c.retry, c.responseStatus, c.responseBody])).toEqual([
      [1, 0, 503, "try later"],
      [1, 1, 503, "try later"],
      [1, 2, 200, "ok"],
    ]);
  });

  test("returns the last retryable response when the retries run out", async () => {
    const { run, calls } = await runScenario(async (ctx) => ({ status: (await ctx.fetch(`${base}/flaky/b`, undefined, { retries: 1, backoffMs: 10 })).status }));
    expect(run.result).toEqual({ status: 503 });
    expect(calls.map((c) => c.responseStatus)).toEqual([503, 503]);
  });

  test("waits as long as Retry-After asks on a 429", async () => {
    const { run, calls } = await runScenario(async (ctx) => ({ status: (await ctx.fetch(`${base}/limited/a`, undefined, { retries: 1, backoffMs: 0 })).status }));
    expect(run.result).toEqual({ status: 200 });
    expect(calls.map((c) => c.responseStatus)).toEqual([429, 200]);
    const [first, second] = seen.filter((s) => s.path === "/limited/a");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    // The log shows what the server asked for, with secrets in response headers masked too.
    expect(calls[0]!.responseHeaders).toMatchObject({ "retry-after": "1", "x-ratelimit-remaining": "0", "set-cookie": "***" });
    expect(JSON.stringify(calls)).not.toContain("s3cr3t-cookie");
  });

  test("a refused connection is retried and recorded as an error without a status", async () => {
    const port = await closedPort();
    const { run, calls } = await runScenario(async (ctx) => {
      try {
        await ctx.fetch(`http://127.0.0.1:${port}/hook`, { method: "PUT", body: "x" }, { retries: 1, backoffMs: 10 });
        return { thrown: false };
      } catch (error) {
        return { thrown: true, type: error instanceof JobError ? `${error.type}/${error.subType}` : String(error) };
      }
    });
    expect(run.result).toEqual({ thrown: true, type: "api_error/network_error" });
    expect(calls).toHaveLength(2);
    for (const [i, call] of calls.entries()) {
      expect(call).toMatchObject({ retry: i, method: "PUT", responseStatus: null, responseBody: null, requestBody: "x" });
      expect(call.error).toContain("ECONNREFUSED");
    }
  });

  test("a try that outlasts timeoutMs is recorded as a timeout", async () => {
    const started = Date.now();
    const { run, calls } = await runScenario(async (ctx) => {
      try {
        await ctx.fetch(`${base}/slow?case=timeout`, undefined, { timeoutMs: 200 });
        return { thrown: false };
      } catch (error) {
        return { thrown: true, type: error instanceof JobError ? `${error.type}/${error.subType}` : String(error) };
      }
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.result).toEqual({ thrown: true, type: "timeout/api_timeout" });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ responseStatus: null, error: "Timed out after 200 ms" });
    expect(calls[0]!.durationMs).toBeGreaterThanOrEqual(190);
  });

  test("a body over 4 KiB is truncated in the log while the handler receives it whole", async () => {
    const { run, calls } = await runScenario(async (ctx) => {
      const text = await (await ctx.fetch(`${base}/big`)).text();
      const binary = new Uint8Array(await (await ctx.fetch(`${base}/binary`)).arrayBuffer());
      return { length: text.length, same: text === BIG_BODY, binaryLength: binary.length, binarySame: Buffer.from(binary).equals(BINARY_BODY) };
    });
    expect(run.result).toEqual({ length: 10_000, same: true, binaryLength: 5000, binarySame: true });
    const [big, binary] = calls;
    expect(big!.responseBody).toBe(`${BIG_BODY.slice(0, 4096)}… [truncated, 10000 bytes]`);
    expect(binary!.responseBody).toBe("[binary 5000 bytes]");
  });

  test("cancelling the run aborts an in-flight request at once", async () => {
    const { tenant, runId } = await startScenario(async (ctx) => {
      await ctx.fetch(`${base}/slow?case=cancel`);
      return { finished: true };
    });
    const inFlight = () => seen.find((s) => s.query === "?case=cancel");
    await until(() => inFlight() !== undefined);
    const cancelledAt = Date.now();
    expect((await cancelRun(t.db, boss, runId, tenant.userId)).outcome).toBe("cancelling");
    const run = await waitForRun(t.db, runId, (r) => r.status === "cancelled", 5_000);
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);
    expect(run.result).toBeNull();
    // The server saw the connection go, long before its 10 s answer.
    await until(() => inFlight()!.closed, 2_000);
    const calls = await listRunCalls(t.db, runId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ responseStatus: null, error: "Aborted: Cancelled" });
    expect(calls[0]!.durationMs).toBeLessThan(5_000);
  });
});

describe("the call log write", () => {
  test("a failed insert is reported, and the caller still gets its response", async () => {
    // No such run: the insert breaks on the foreign key, as it would with the database away.
    const runId = randomUUID();
    const tracked = createTrackedFetch({ db: t.db, runId, attempt: 1, signal: new AbortController().signal });
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const res = await tracked(`${base}/flaky/c`, undefined, { retries: 2, backoffMs: 10 });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("ok");
      // One write per try, each failure reported once.
      expect(logged).toHaveBeenCalledTimes(3);
      expect(String(logged.mock.calls[0]?.[0])).toContain(runId);
    } finally {
      logged.mockRestore();
    }
    expect(await listRunCalls(t.db, runId)).toEqual([]);
  });
});

describe("listRunsForResource", () => {
  test("lists the runs of one file, newest first and bounded", async () => {
    const tenant = await createTenant(t.db);
    const csv = "email,name\nada@example.com,Ada\n";
    const fileA = await uploadFile(t.db, tenant, "a.csv", "text/csv", csv);
    const fileB = await uploadFile(t.db, tenant, "b.csv", "text/csv", csv);
    const importRun = async (fileId: string) => {
      const result = await trigger(t.db, boss, tenant, "contacts_import", { fileId });
      if (!result.ok) throw new Error("trigger refused");
      await waitForRun(t.db, result.runId, (r) => r.status === "completed");
      return result.runId;
    };
    const a1 = await importRun(fileA);
    const b1 = await importRun(fileB);
    const a2 = await importRun(fileA);
    const a3 = await importRun(fileA);

    const runs = await listRunsForResource(t.db, "file", fileA);
    expect(runs.map((r) => r.id)).toEqual([a3, a2, a1]);
    expect(runs[0]).toMatchObject({ jobType: "contacts_import", status: "completed", attemptCount: 1, projectId: tenant.projectId });
    expect((await listRunsForResource(t.db, "file", fileA, 2)).map((r) => r.id)).toEqual([a3, a2]);
    expect((await listRunsForResource(t.db, "file", fileB)).map((r) => r.id)).toEqual([b1]);
    expect(await listRunsForResource(t.db, "notification", fileA)).toEqual([]);
  });
});
