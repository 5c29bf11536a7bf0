/**
 * With SENTRY_DSN set, a handler failure reaches Sentry (the real SDK, over real HTTP to a local
 * server standing in for Sentry's ingest endpoint) with the run's reference, and without the
 * secret the error message and the payload carried.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, uploadFile, waitForRun } from "../support/fixtures";

const SECRET = "hunter2-planted-7f3a";

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
let ingest: Server;
const envelopes: { path: string; body: string }[] = [];

beforeAll(async () => {
  ingest = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      envelopes.push({ path: request.url ?? "", body: (request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8") });
      response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
  process.env.SENTRY_DSN = `http://publickey@127.0.0.1:${(ingest.address() as AddressInfo).port}/1`;
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url, {
    handlers: {
      // An import that fails quoting a connection string, as a careless driver error would.
      contacts_import: async () => {
        throw new Error(`could not connect to postgres://app:${SECRET}@db.internal/contacts password=${SECRET}`);
      },
    },
  });
});
afterAll(async () => {
  await closeTestEnv({ t, boss }, worker);
  delete process.env.SENTRY_DSN;
  await new Promise((resolve) => ingest.close(resolve));
});

async function eventsFor(text: string, timeoutMs = 15_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = envelopes.filter((e) => e.body.includes(text)).map((e) => e.body);
    if (found.length > 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no envelope mentioned ${text}; got ${envelopes.length} envelope(s)`);
}

describe("Sentry reports", () => {
  test("a failed attempt is reported with run id, job type, attempt and project, and neither the message's secret nor the payload", async () => {
    const tenant = await createTenant(t.db);
    const fileId = await uploadFile(t.db, tenant, `contacts-${SECRET}.csv`, "text/csv", `email\nsomeone@example.test\n`);
    const result = await trigger(t.db, boss, tenant, "contacts_import", { fileId });
    if (!result.ok) throw new Error("refused");
    // contacts_import retries twice: the first attempt's failure is already reported while it waits.
    await waitForRun(t.db, result.runId, (r) => r.attemptCount >= 1 && r.status !== "running");
    const [body] = await eventsFor(result.runId);
    expect(envelopes[0]!.path).toMatch(/^\/api\/1\/envelope\/\?/);
    if (process.env.SHOW_ENVELOPE) console.log(body);
    const event = JSON.parse(body!.split("\n")[2]!) as {
      exception: { values: { type: string; value: string }[] };
      tags: Record<string, string>;
      contexts: { run: Record<string, unknown> };
    };
    expect(event.contexts.run).toEqual({ run_id: result.runId, job_type: "contacts_import", attempt: 1, project_id: tenant.projectId });
    expect(event.tags).toMatchObject({ job_type: "contacts_import", error_source: "handler" });
    expect(event.exception.values[0]!.value).toContain("could not connect to postgres://");
    expect(event.exception.values[0]!.value).toContain("password=***");
    for (const e of envelopes) {
      expect(e.body).not.toContain(SECRET);
      expect(e.body).not.toContain(fileId);
    }
  });
});

describe("the web's unhandled errors", () => {
  test("Next's onRequestError hook reports the route and the redacted message", async () => {
    const runtime = process.env.NEXT_RUNTIME;
    process.env.NEXT_RUNTIME = "nodejs";
    try {
      const { onRequestError } = await import("@/instrumentation");
      await onRequestError(new Error(`export failed: token=${SECRET}`), { method: "GET" }, { routePath: "/api/projects/[slug]/runs/[runId]" });
    } finally {
      process.env.NEXT_RUNTIME = runtime;
    }
    const [body] = await eventsFor("export failed");
    const event = JSON.parse(body!.split("\n")[2]!) as { exception: { values: { value: string }[] }; tags: Record<string, string> };
    expect(event.tags).toMatchObject({ route: "/api/projects/[slug]/runs/[runId]", method: "GET" });
    expect(event.exception.values[0]!.value).toBe("export failed: token=***");
    expect(body).not.toContain(SECRET);
  });
});
