import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listRunCalls } from "@/lib/jobs/web/run-calls";
import { createTrackedFetch, MAX_REDIRECTS } from "@/lib/jobs/worker/call-log";
import { JobError } from "@/lib/jobs/errors";
import { outboundPolicy, parseAllowList, refusalIn, refusedAddressKind } from "@/lib/jobs/worker/outbound-guard";
import type { TestDatabase } from "../support/db";
import { createTenant, openTestEnv, trigger } from "../support/fixtures";

/**
 * ctx.fetch against real local HTTP servers: `allowed` is allow-listed by address and port, `inner`
 * (also on loopback) is not and plays the service an attacker wants to reach. Refused targets
 * that are not loopback (10.0.0.1, 169.254.169.254) are never contacted: the guard refuses before
 * any socket is opened, which is what these tests assert.
 */
let t: TestDatabase;
let boss: PgBoss;
let allowed: Server;
let inner: Server;
let allowedPort: number;
let innerPort: number;
const innerHits: string[] = [];

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  inner = await listen((req, res) => {
    innerHits.push(req.url ?? "");
    res.end("internal secrets");
  });
  innerPort = (inner.address() as AddressInfo).port;
  allowed = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const to = url.searchParams.get("to");
    if (url.pathname === "/redirect" && to) {
      res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: to });
      res.end();
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" });
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, path: url.pathname, authorization: req.headers.authorization ?? null }));
    }
  });
  allowedPort = (allowed.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const server of [allowed, inner]) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await boss.stop({ graceful: false, close: true });
  await t.drop();
});

async function trackedFetch() {
  const tenant = await createTenant(t.db);
  const result = await trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 });
  if (!result.ok) throw new Error("trigger refused");
  const fetch = createTrackedFetch({ db: t.db, runId: result.runId, attempt: 1, signal: new AbortController().signal, outbound: outboundPolicy(`127.0.0.1:${allowedPort}`) });
  return { fetch, calls: () => listRunCalls(t.db, result.runId) };
}

async function refusal(promise: Promise<unknown>): Promise<JobError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobError);
  return error as JobError;
}

describe("ctx.fetch's outbound guard", () => {
  test("an allow-listed local server is called as before", async () => {
    const { fetch, calls } = await trackedFetch();
    const response = await fetch(`http://127.0.0.1:${allowedPort}/hello`);
    expect(await response.json()).toMatchObject({ path: "/hello" });
    expect(await calls()).toMatchObject([{ url: `http://127.0.0.1:${allowedPort}/hello`, responseStatus: 200, error: null }]);
  });

  test.each([
    ["loopback on a port not allow-listed", () => `http://127.0.0.1:${innerPort}/admin`, "127.0.0.1: a loopback address"],
    ["IPv6 loopback", () => `http://[::1]:${innerPort}/`, "::1: a loopback address"],
    ["IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.1]:${innerPort}/`, "a loopback address"],
    ["loopback written as a number", () => `http://2130706433:${innerPort}/`, "127.0.0.1: a loopback address"],
    ["the unspecified address", () => `http://0.0.0.0:${innerPort}/`, "a unspecified address"],
    ["a name that resolves to loopback", () => `http://localhost:${innerPort}/`, "localhost (127.0.0.1): a loopback address"],
    ["a private address", () => "http://10.0.0.1/", "10.0.0.1: a private address"],
    ["the cloud metadata service", () => "http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254: a link-local address"],
    ["another scheme", () => "file:///etc/passwd", "a file: URL: outbound calls use http or https"],
  ])("refuses %s before connecting, logs the refusal and does not retry", async (_name, target, reason) => {
    const { fetch, calls } = await trackedFetch();
    const before = innerHits.length;
    const error = await refusal(fetch(target(), undefined, { retries: 3, backoffMs: 0 }));
    expect(error).toMatchObject({ type: "validation_error", subType: "outbound_target_refused", retryable: false });
    expect(error.message).toContain(reason);
    const rows = await calls();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ responseStatus: null, retry: 0 });
    expect(rows[0]!.error).toContain(reason);
    expect(innerHits.length).toBe(before);
  });

  test.each([
    ["127.0.0.1 on another port", () => `http://127.0.0.1:${innerPort}/admin`, "127.0.0.1: a loopback address"],
    ["a name that resolves to loopback", () => `http://localhost:${innerPort}/admin`, "loopback address"],
    ["the cloud metadata service", () => "http://169.254.169.254/latest/meta-data/", "169.254.169.254: a link-local address"],
  ])("re-checks every redirect hop: an allowed host redirecting to %s is refused", async (_name, target, reason) => {
    const { fetch, calls } = await trackedFetch();
    const before = innerHits.length;
    const start = `http://127.0.0.1:${allowedPort}/redirect?to=${encodeURIComponent(target())}`;
    const error = await refusal(fetch(start, { headers: { authorization: "Bearer top-secret" } }));
    expect(error.subType).toBe("outbound_target_refused");
    expect(error.message).toContain(reason);
    const rows = await calls();
    expect(rows.map((r) => [r.responseStatus, r.error === null])).toEqual([
      [302, true],
      [null, false],
    ]);
    expect(rows[1]!.url).toBe(target());
    expect(innerHits.length).toBe(before);
  });

  test("follows allowed redirects hop by hop, as fetch does: 303 becomes GET, credentials stay on their origin", async () => {
    const { fetch, calls } = await trackedFetch();
    const target = `http://127.0.0.1:${allowedPort}/landed`;
    const response = await fetch(`http://127.0.0.1:${allowedPort}/redirect?status=303&to=${encodeURIComponent(target)}`, { method: "POST", body: "x=1", headers: { authorization: "Bearer same-origin" } });
    expect(await response.json()).toEqual({ method: "GET", path: "/landed", authorization: "Bearer same-origin" });
    expect((await calls()).map((r) => [r.method, r.responseStatus, r.requestBody])).toEqual([
      ["POST", 303, "x=1"],
      ["GET", 200, null],
    ]);
    // `redirect: "manual"` hands the handler the redirect itself.
    const manual = await fetch(`http://127.0.0.1:${allowedPort}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${innerPort}/`)}`, { redirect: "manual" });
    expect(manual.status).toBe(302);
  });

  test(`stops after ${MAX_REDIRECTS} redirects`, async () => {
    const { fetch, calls } = await trackedFetch();
    const error = await refusal(fetch(`http://127.0.0.1:${allowedPort}/loop`));
    expect(error).toMatchObject({ subType: "too_many_redirects", retryable: false });
    expect(await calls()).toHaveLength(MAX_REDIRECTS + 1);
  });

  test("keeps credentials and secret-looking parameters of a URL out of the call log", async () => {
    const { fetch, calls } = await trackedFetch();
    await fetch(`http://127.0.0.1:${allowedPort}/cb?code=oauth-code-123&token=t0k3n&page=2#access_token=frag`);
    // A redirect's target is logged the same way (here one the guard then refuses).
    const hop = `http://127.0.0.1:${innerPort}/next?sig=s1gn&api_key=k3y&page=3`;
    await refusal(fetch(`http://127.0.0.1:${allowedPort}/redirect?to=${encodeURIComponent(hop)}`));
    const rows = await calls();
    expect(rows.map((r) => r.url)).toEqual([
      `http://127.0.0.1:${allowedPort}/cb?code=***&token=***&page=2`,
      `http://127.0.0.1:${allowedPort}/redirect?to=${encodeURIComponent(hop)}`,
      `http://127.0.0.1:${innerPort}/next?sig=***&api_key=***&page=3`,
    ]);
    expect(JSON.stringify(rows.filter((r) => !r.url.includes("/redirect?")))).not.toMatch(/oauth-code-123|t0k3n|frag|s1gn|k3y/);
    // fetch itself refuses user:password in a URL, so those never travel (nor reach the log).
    await expect(fetch(`http://alice:hunter2@127.0.0.1:${allowedPort}/`)).rejects.toThrow(/credentials/);
  });

  test("the dispatcher checks the address it connects to, whatever checked the URL before (no DNS rebinding)", async () => {
    const { dispatcher } = outboundPolicy(`127.0.0.1:${allowedPort}`);
    const before = innerHits.length;
    // Straight to the dispatcher, skipping the pre-check: the connector's own lookup refuses.
    const error = await fetch(`http://localhost:${innerPort}/`, { dispatcher } as RequestInit).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusalIn(error)?.message).toContain("loopback address");
    expect(innerHits.length).toBe(before);
    const literal = await fetch(`http://[::1]:${innerPort}/`, { dispatcher } as RequestInit).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusalIn(literal)?.message).toContain("::1: a loopback address");
  });

  test("an operator allow-lists names, addresses and ranges, optionally with a port", async () => {
    const named = outboundPolicy(`localhost:${innerPort}`);
    const { dispatcher } = named;
    expect(await (await fetch(`http://localhost:${innerPort}/named`, { dispatcher } as RequestInit)).text()).toBe("internal secrets");
    const range = outboundPolicy("127.0.0.0/8");
    expect(await (await fetch(`http://127.0.0.1:${innerPort}/range`, { dispatcher: range.dispatcher } as RequestInit)).text()).toBe("internal secrets");
    expect(parseAllowList(" 127.0.0.1 , localhost:4010,[::1]:8080, fd00::/8,example.com")).toEqual([
      { kind: "net", bytes: Uint8Array.from([127, 0, 0, 1]), bits: 32, port: null },
      { kind: "host", host: "localhost", port: 4010 },
      { kind: "net", bytes: Uint8Array.from([...Array<number>(15).fill(0), 1]), bits: 128, port: 8080 },
      { kind: "net", bytes: Uint8Array.from([0xfd, ...Array<number>(15).fill(0)]), bits: 8, port: null },
      { kind: "host", host: "example.com", port: null },
    ]);
    expect(() => parseAllowList("10.0.0.0/99")).toThrow(/not a valid CIDR/);
  });

  test.each([
    ["100.64.0.1", "shared (CGNAT)"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["fe80::1", "link-local"],
    ["fd12:3456::1", "unique-local"],
    ["::", "unspecified"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["8.8.8.8", null],
    ["172.32.0.1", null],
    ["2606:4700::1111", null],
    ["::ffff:1.1.1.1", null],
  ])("classifies %s as %s", (address, kind) => {
    expect(refusedAddressKind(address)).toBe(kind);
  });
});
