import { eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { jobRuns, jobTypes } from "@/lib/db/schema";
import { getJobDefinition, projectJobDefinitions } from "@/lib/jobs/catalog";
import { defineJob, type JobDefinition } from "@/lib/jobs/define";
import { triggerRun } from "@/lib/jobs/enqueue";
import { checkServable, definitionFromRegistration, loadRegisteredTypes, registerJobTypes, resourceField } from "@/lib/jobs/registry";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, waitForRun } from "../support/fixtures";

// Job types registered by workers of other services (docs/external-workers.md), through a real
// Postgres and a real worker: what registration stores, how the web validates and enqueues from it.

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker | undefined;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }, worker));

const syncV1 = defineJob({
  name: "billing_sync",
  label: "Sync a customer",
  description: "Defined in billing-service.",
  scope: "project",
  payload: z.object({
    customerId: z.uuid().meta({ title: "Customer" }),
    pages: z.number().int().min(1).max(10).default(3),
  }),
  retry: { limit: 2, delaySeconds: 1, backoff: true },
  schedule: null,
  overlap: "resource",
  resource: resourceField("customer", "customerId"),
  timeoutSeconds: 60,
  handler: async () => ({ default: async () => ({}) }),
});

const syncV2 = defineJob({ ...syncV1, payload: syncV1.payload.extend({ dryRun: z.boolean().default(false) }) });

const C1 = "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5";
const C2 = "7a2b3c4d-5e6f-4a7b-9c8d-9e0f1a2b3c4d";

const row = async (name: string) => (await t.db.select().from(jobTypes).where(eq(jobTypes.name, name)))[0]!;

describe("registration", () => {
  test("stores the definition with its payload's JSON Schema; a restart leaves it, a different definition replaces it (last wins)", async () => {
    const first = await registerJobTypes(t.db, [syncV1 as unknown as JobDefinition], { source: "billing-service", workerId: "billing:1:aaa" });
    expect(first).toEqual([{ name: "billing_sync", change: "new", previousSource: null }]);
    const stored = await row("billing_sync");
    expect(stored).toMatchObject({ label: "Sync a customer", scope: "project", overlap: "resource", timeoutSeconds: 60, resource: { type: "customer", field: "customerId" }, source: "billing-service" });
    expect(stored.retry).toEqual({ limit: 2, delaySeconds: 1, backoff: true });
    // In the order the schema declares them (the Run form's order): jsonb would sort them.
    expect(Object.keys((stored.payloadSchema as { properties: object }).properties)).toEqual(["customerId", "pages"]);
    expect(stored.payloadSchema).toMatchObject({ type: "object", required: ["customerId"], properties: { customerId: { type: "string", format: "uuid", title: "Customer" }, pages: { type: "integer", default: 3, maximum: 10 } } });

    await new Promise((r) => setTimeout(r, 20));
    const again = await registerJobTypes(t.db, [syncV1 as unknown as JobDefinition], { source: "billing-service", workerId: "billing:2:bbb" });
    expect(again[0]!.change).toBe("unchanged");
    const restarted = await row("billing_sync");
    expect(restarted.updatedAt).toEqual(stored.updatedAt);
    expect(restarted.seenAt.getTime()).toBeGreaterThan(stored.seenAt.getTime());
    expect(restarted.registeredBy).toBe("billing:2:bbb");

    const changed = await registerJobTypes(t.db, [syncV2 as unknown as JobDefinition], { source: "billing-service-v2", workerId: "billing:3:ccc" });
    expect(changed).toEqual([{ name: "billing_sync", change: "changed", previousSource: "billing-service" }]);
    const replaced = await row("billing_sync");
    expect(replaced.updatedAt.getTime()).toBeGreaterThan(stored.updatedAt.getTime());
    expect(replaced.registeredAt).toEqual(stored.registeredAt);
    expect(replaced.source).toBe("billing-service-v2");
    expect(Object.keys((replaced.payloadSchema as { properties: object }).properties)).toContain("dryRun");

    // An older worker restarting later wins again: the page shows which one stands.
    expect((await registerJobTypes(t.db, [syncV1 as unknown as JobDefinition], { source: "billing-service", workerId: "billing:4:ddd" }))[0]!.change).toBe("changed");
  });

  test("a process that reads job_types knows the type: validation from the stored schema, defaults filled, unknown keys dropped", async () => {
    await loadRegisteredTypes(t.db);
    const def = getJobDefinition("billing_sync");
    expect(def).toBeDefined();
    expect(def!.handler).not.toBe(syncV1.handler);
    expect(projectJobDefinitions().map((d) => d.name)).toContain("billing_sync");
    expect(def!.payload.parse({ customerId: C1, extra: "x" })).toEqual({ customerId: C1, pages: 3 });
    const refused = def!.payload.safeParse({ customerId: "c-1", pages: 11 });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["customerId", "pages"]));
    expect(def!.payload.safeParse({ pages: 2 }).success).toBe(false);
  });

  test("a schema the dashboard cannot read refuses every payload, saying why", () => {
    const def = definitionFromRegistration({ ...syncV1, payloadSchema: { type: "object", properties: { x: { $ref: "#/nowhere" } } }, resource: null, source: "svc" } as never);
    const result = def.payload.safeParse({ x: 1 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toContain("cannot be read by this dashboard");
  });

  test("refuses what the dashboard could not serve: duplicate names, Runboard's own names, a resource overlap given as a function", () => {
    expect(() => checkServable([syncV1, syncV1] as unknown as JobDefinition[])).toThrow(/named "billing_sync"/);
    const clash = defineJob({ ...syncV1, name: "demo_paced" });
    expect(() => checkServable([clash as unknown as JobDefinition])).toThrow(/already defined by Runboard/);
    const opaque = defineJob({ ...syncV1, name: "opaque_sync", resource: (p) => ({ type: "customer", id: p.customerId }) });
    expect(() => checkServable([opaque as unknown as JobDefinition])).toThrow(/resourceField/);
    const textId = defineJob({ ...syncV1, name: "text_sync", payload: z.object({ customerId: z.string() }), resource: resourceField("customer", "customerId"), handler: async () => ({ default: async () => ({}) }) });
    expect(() => checkServable([textId as unknown as JobDefinition])).toThrow(/must be a z.uuid\(\)/);
    expect(() => checkServable([getJobDefinition("demo_paced")!])).not.toThrow();
  });
});

describe("a registered type through a worker", () => {
  test("a worker started with a service's definition registers it; runs enqueued from the registration run there, one per resource", async () => {
    const greet = defineJob({
      name: "billing_greet",
      label: "Greet a customer",
      description: "Defined in billing-service.",
      scope: "project",
      payload: z.object({ customerId: z.uuid(), times: z.number().int().min(1).max(3).default(1) }),
      retry: { limit: 0, delaySeconds: 0, backoff: false },
      schedule: null,
      overlap: "resource",
      resource: resourceField("customer", "customerId"),
      timeoutSeconds: null,
      handler: async () => ({
        default: async (ctx) => {
          // Holds the resource's slot long enough for the overlap check below.
          await new Promise((r) => setTimeout(r, 300));
          return { greeted: ctx.payload.customerId, times: ctx.payload.times };
        },
      }),
    });
    worker = await runWorker(t.url, { jobs: [greet as unknown as JobDefinition], source: "billing-service" });
    const stored = await row("billing_greet");
    expect(stored.source).toBe("billing-service");
    expect(stored.registeredBy).toBe(worker.workerId);

    // As the web does: the definition rebuilt from the row, not the service's code.
    const def = definitionFromRegistration(stored);
    const tenant = await createTenant(t.db);
    const trigger = (customerId: string) =>
      triggerRun(t.db, boss, { def, payload: def.payload.parse({ customerId }) as Record<string, unknown>, teamId: tenant.teamId, projectId: tenant.projectId, triggeredBy: tenant.userId, notify: false });
    const a = await trigger(C1);
    const busy = await trigger(C1);
    const b = await trigger(C2);
    expect(a.ok && b.ok).toBe(true);
    expect(busy).toMatchObject({ ok: false, code: "already_active", existingRunId: a.ok ? a.runId : "" });
    if (!a.ok || !b.ok) return;
    const [queued] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, a.runId));
    expect(queued).toMatchObject({ resourceType: "customer", resourceId: C1, maxAttempts: 1 });
    const done = await waitForRun(t.db, a.runId, (r) => r.status === "completed");
    expect(done.result).toEqual({ greeted: C1, times: 1 });
    expect(done.workerId).toBe(worker.workerId);
    expect((await waitForRun(t.db, b.runId, (r) => r.status === "completed")).result).toEqual({ greeted: C2, times: 1 });
  });
});
