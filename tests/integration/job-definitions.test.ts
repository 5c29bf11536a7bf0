import { setTimeout as sleep } from "node:timers/promises";
import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns, jobRunSteps } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { redriveRun } from "@/lib/jobs/web/redrive";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, uploadFile, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }));

const FILE_RULE = "Import contacts is already running for this file: one run at a time per file.";

describe("overlap rules (no worker: runs stay pending, holding their slots)", () => {
  test('"resource": two different files import at once, even when triggered concurrently; the same file again is refused with the rule', async () => {
    const tenant = await createTenant(t.db);
    const a = await uploadFile(t.db, tenant, "a.csv", "text/csv", "email\na@example.com\n");
    const b = await uploadFile(t.db, tenant, "b.csv", "text/csv", "email\nb@example.com\n");
    // Ten concurrent triggers per file: exactly one run per file wins.
    const results = await Promise.all([a, b].flatMap((fileId) => Array.from({ length: 10 }, () => trigger(t.db, boss, tenant, "contacts_import", { fileId }))));
    const created = results.filter((r) => r.ok);
    expect(created).toHaveLength(2);
    const runs = await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId));
    expect(runs.map((r) => r.resourceId).sort()).toEqual([a, b].sort());
    expect(runs.map((r) => r.exclusiveKey).sort()).toEqual([a, b].map((id) => `${tenant.projectId}:contacts_import:file:${id}`).sort());
    const runOf = new Map(runs.map((r) => [r.resourceId, r.id]));
    for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, code: "already_active", overlap: "resource", message: FILE_RULE });

    const again = await trigger(t.db, boss, tenant, "contacts_import", { fileId: a });
    expect(again).toEqual({ ok: false, code: "already_active", existingRunId: runOf.get(a), overlap: "resource", message: FILE_RULE });
    // The refused trigger changed nothing.
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId))).toHaveLength(2);
  });

  test('"project": a second export of the project is refused with the project rule', async () => {
    const tenant = await createTenant(t.db);
    const first = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
    expect(first.ok).toBe(true);
    const second = await trigger(t.db, boss, tenant, "runs_export", { days: 2 });
    expect(second).toEqual({ ok: false, code: "already_active", existingRunId: first.ok ? first.runId : "", overlap: "project", message: "Export run history is already running for this project." });
  });

  test('"none": every trigger is its own run, even with the same payload', async () => {
    const def = getJobDefinition("notification_delivery")!;
    expect(def.overlap).toBe("none");
    const payload = { notificationId: "00000000-0000-4000-8000-00000000000a" };
    const results = await Promise.all(Array.from({ length: 3 }, () => triggerRun(t.db, boss, { def, payload, teamId: null, projectId: null, triggeredBy: null, notify: false })));
    expect(results.every((r) => r.ok)).toBe(true);
    const rows = await t.db.select({ key: jobRuns.exclusiveKey }).from(jobRuns).where(eq(jobRuns.jobType, "notification_delivery"));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.key === null)).toBe(true);
  });

  test("re-drive follows the type's rule: failed imports of two files both re-drive; one whose file is importing again is refused, saying why", async () => {
    const tenant = await createTenant(t.db);
    const a = await uploadFile(t.db, tenant, "a.csv", "text/csv", "email\na@example.com\n");
    const b = await uploadFile(t.db, tenant, "b.csv", "text/csv", "email\nb@example.com\n");
    const ids: string[] = [];
    for (const fileId of [a, b, a]) {
      const r = await trigger(t.db, boss, tenant, "contacts_import", { fileId });
      if (!r.ok) throw new Error("trigger refused");
      ids.push(r.runId);
      // Failed runs keep the key they were created with; one from before the rule changed has the project's.
      await t.db.update(jobRuns).set({ status: "failed", completedAt: new Date(), exclusiveKey: `${tenant.projectId}:contacts_import` }).where(eq(jobRuns.id, r.runId));
    }
    expect(await redriveRun(t.db, boss, ids[0]!, tenant.userId)).toEqual({ ok: true });
    expect(await redriveRun(t.db, boss, ids[1]!, tenant.userId)).toEqual({ ok: true });
    expect(await redriveRun(t.db, boss, ids[2]!, tenant.userId)).toEqual({ ok: false, code: "already_active", existingRunId: ids[0], overlap: "resource", message: FILE_RULE });
    const rows = await t.db.select({ id: jobRuns.id, status: jobRuns.status, key: jobRuns.exclusiveKey }).from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ status: "pending", key: `${tenant.projectId}:contacts_import:file:${a}` });
    expect(byId.get(ids[1]!)).toMatchObject({ status: "pending", key: `${tenant.projectId}:contacts_import:file:${b}` });
    expect(byId.get(ids[2]!)?.status).toBe("failed");
  });
});

describe("timeoutSeconds", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await runWorker(t.url, {
      timeouts: { runs_export: 1, demo_paced: 1 },
      handlers: {
        // Attempt 1 runs until its signal is aborted; attempt 2 finishes at once.
        runs_export: async (ctx) => {
          if (ctx.attempt === 1) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
          return { attempt: ctx.attempt };
        },
        // Ignores its signal altogether.
        demo_paced: async () => {
          await sleep(20_000);
          return { finished: true };
        },
      },
    });
  });
  afterAll(() => worker.stop());

  const attemptSteps = (runId: string) =>
    t.db
      .select({ status: jobRunSteps.status, attempt: jobRunSteps.attemptNumber, type: jobRunSteps.errorType, subType: jobRunSteps.errorSubType })
      .from(jobRunSteps)
      .where(and(eq(jobRunSteps.runId, runId), eq(jobRunSteps.stepType, "attempt")))
      .orderBy(asc(jobRunSteps.createdAt));

  test("an attempt past its timeout is aborted, fails as timeout, and is retried per the type's policy", async () => {
    const tenant = await createTenant(t.db);
    const r = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
    if (!r.ok) throw new Error("trigger refused");
    const done = await waitForRun(t.db, r.runId, (run) => run.status === "completed", 25_000);
    expect(done).toMatchObject({ attemptCount: 2, result: { attempt: 2 } });
    expect(await attemptSteps(r.runId)).toEqual([
      { status: "retrying", attempt: 1, type: "timeout", subType: "run_timeout" },
      { status: "completed", attempt: 2, type: null, subType: null },
    ]);
  });

  test("a handler that ignores its signal is not waited for past the grace: the run fails as timeout (demo_paced retries 0 times)", async () => {
    const tenant = await createTenant(t.db);
    const r = await trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 });
    if (!r.ok) throw new Error("trigger refused");
    const started = Date.now();
    const done = await waitForRun(t.db, r.runId, (run) => run.status === "failed", 15_000);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(done.error).toMatchObject({ type: "timeout", subType: "run_timeout", source: "worker" });
    expect(done.errorMessage).toContain("ran longer than its 1 s timeout");
  });
});
