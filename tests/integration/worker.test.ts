import { asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { contacts, files, jobRunSteps } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import { finishAttempt, writeProgress } from "@/lib/jobs/lifecycle";
import type { RunningWorker } from "@/workers/start-worker";
import runsExport from "@/jobs/runs-export.handler";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, uploadFile, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url, {
    handlers: {
      // The first export attempt of each run fails with a retryable error, the second succeeds.
      runs_export: async (ctx) => {
        if (ctx.attempt === 1) throw new JobError("Upstream timed out", { type: "timeout", source: "external_service", subType: "api_timeout", severity: 3 });
        return runsExport(ctx);
      },
    },
  });
});
afterAll(() => closeTestEnv({ t, boss }, worker));

async function triggerOk(...args: Parameters<typeof trigger>): Promise<string> {
  const result = await trigger(...args);
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

const steps = (runId: string) => t.db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, runId)).orderBy(asc(jobRunSteps.createdAt));

describe("the worker", () => {
  test("runs a job pending → running → completed with progress, stage, heartbeat and steps", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 8, msPerItem: 60 });
    const running = await waitForRun(t.db, runId, (r) => r.status === "running" && (r.progressProcessed ?? 0) > 0);
    expect(running.progressTotal).toBe(8);
    expect(running.progressProcessed).toBeLessThan(8);
    expect(running.workerId).toMatch(/^test-/);
    // The attempt under way is on the run row; its step row comes when it ends.
    expect(running.attemptStartedAt).not.toBeNull();
    expect((await steps(runId)).filter((x) => x.stepType === "attempt")).toEqual([]);
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed");
    expect(done).toMatchObject({ attemptCount: 1, progressProcessed: 8, progressTotal: 8, progressPercent: 100, result: { processed: 8 } });
    expect(done.startedAt!.getTime()).toBeLessThanOrEqual(done.completedAt!.getTime());
    expect(done.lastHeartbeat).not.toBeNull();
    const s = await steps(runId);
    expect(s.map((x) => `${x.stepType}:${x.status}`)).toEqual(["warm_up:completed", "attempt:completed"]);
    expect(s.at(-1)).toMatchObject({ attemptNumber: 1, workerId: running.workerId });
    expect(s.at(-1)?.durationMs).toBeGreaterThanOrEqual(400);
  });

  test("imports a CSV row by row: valid rows upserted, invalid rows counted with their line numbers", async () => {
    const tenant = await createTenant(t.db);
    const csv = "Email,Name,Company\r\nada@example.com,Ada,Analytical\r\nnot-an-email,Bad,Row\r\nGRACE@example.com,Grace,\"Navy, US\"\r\n";
    const fileId = await uploadFile(t.db, tenant, "contacts.csv", "text/csv", csv);
    const runId = await triggerOk(t.db, boss, tenant, "contacts_import", { fileId });
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed");
    expect(done.result).toEqual({ total: 3, imported: 2, skipped: 1, rowErrors: [{ row: 3, reason: "email: not a valid email address" }] });
    expect(done).toMatchObject({ resourceType: "file", resourceId: fileId, progressProcessed: 3, progressTotal: 3 });
    const rows = await t.db.select({ email: contacts.email, company: contacts.company }).from(contacts).where(eq(contacts.projectId, tenant.projectId)).orderBy(asc(contacts.email));
    expect(rows).toEqual([
      { email: "ada@example.com", company: "Analytical" },
      { email: "grace@example.com", company: "Navy, US" },
    ]);
  });

  test("a file without an email column fails at once, not retried, with its error taxonomy stored", async () => {
    const tenant = await createTenant(t.db);
    const fileId = await uploadFile(t.db, tenant, "people.csv", "text/csv", "name,phone\nAda,123\n");
    const runId = await triggerOk(t.db, boss, tenant, "contacts_import", { fileId });
    const done = await waitForRun(t.db, runId, (r) => r.status === "failed");
    expect(done.attemptCount).toBe(1);
    expect(done.errorMessage).toContain('no "email" column');
    expect(done.error).toMatchObject({ type: "validation_error", source: "handler", subType: "file_format_invalid", severity: 2, retryable: false });
    const failedStep = (await steps(runId)).find((s) => s.stepType === "parse");
    expect(failedStep).toMatchObject({ status: "failed", errorType: "validation_error", errorSubType: "file_format_invalid", errorSeverity: 2 });
  });

  test("hostile files: the 20,000-column shape fails at once naming the limit; 1,000-column rows import; another run keeps its progress", async () => {
    const tenant = await createTenant(t.db);
    const other = await createTenant(t.db);
    const paced = await triggerOk(t.db, boss, other, "demo_paced", { items: 30, msPerItem: 50 });
    const wideHeader = `email,${Array.from({ length: 19_999 }, (_, i) => `c${i}`).join(",")}\n${"a@example.com,x\n".repeat(1000)}`;
    const wide = await triggerOk(t.db, boss, tenant, "contacts_import", { fileId: await uploadFile(t.db, tenant, "wide.csv", "text/csv", wideHeader) });
    const failed = await waitForRun(t.db, wide, (r) => r.status === "failed");
    expect(failed).toMatchObject({ attemptCount: 1, errorMessage: "The file is not valid CSV: Row 1 has more than 1000 columns (the most allowed)." });
    expect(failed.error).toMatchObject({ type: "validation_error", subType: "file_format_invalid", retryable: false });

    const widest = `email,${Array.from({ length: 999 }, (_, i) => `c${i}`).join(",")}\n${Array.from({ length: 1000 }, (_, i) => `w${i}@example.com${",".repeat(999)}`).join("\n")}\n`;
    const ok = await triggerOk(t.db, boss, tenant, "contacts_import", { fileId: await uploadFile(t.db, tenant, "widest.csv", "text/csv", widest) });
    expect((await waitForRun(t.db, ok, (r) => r.status === "completed")).result).toMatchObject({ total: 1000, imported: 1000, skipped: 0 });
    expect((await waitForRun(t.db, paced, (r) => r.status === "completed")).result).toEqual({ processed: 30 });
  });

  test("a retryable failure schedules the next attempt with backoff, then the run completes on attempt 2", async () => {
    const tenant = await createTenant(t.db);
    const before = Date.now();
    const runId = await triggerOk(t.db, boss, tenant, "runs_export", { days: 1 });
    const waiting = await waitForRun(t.db, runId, (r) => r.status === "pending" && r.attemptCount === 1);
    // runs_export: 5 s base, exponential with equal jitter → the first retry waits 2.5–5 s.
    const delay = waiting.runAt.getTime() - before;
    expect(delay).toBeGreaterThanOrEqual(2_400);
    expect(delay).toBeLessThanOrEqual(5_500);
    expect(waiting.error).toMatchObject({ type: "timeout", subType: "api_timeout", retryable: true });
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed", 20_000);
    expect(done.attemptCount).toBe(2);
    // Completed on attempt 2: the run no longer shows attempt 1's error (its step row keeps it).
    expect(done.error).toBeNull();
    expect(done.errorMessage).toBeNull();
    expect(Date.now() - before).toBeGreaterThanOrEqual(2_400);
    const fileId = (done.result as { fileId: string }).fileId;
    const [file] = await t.db.select().from(files).where(eq(files.id, fileId));
    expect(file?.content.toString("utf8").split("\r\n")[0]).toMatch(/^run_id,job_type,status/);
    const s = await steps(runId);
    expect(s.filter((x) => x.stepType === "attempt").map((x) => `${x.attemptNumber}:${x.status}`)).toEqual(["1:retrying", "2:completed"]);
  }, 30_000);

  test("writes for an attempt that has already ended change nothing", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 2, msPerItem: 10 });
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed");
    const late = await finishAttempt(t.db, runId, 1, { status: "failed", error: { message: "late", type: "internal", source: "worker", subType: "x", severity: 3, retryable: false } }, { durationMs: 1 });
    expect(late).toBe(false);
    expect(await writeProgress(t.db, runId, 1, { processed: 0, total: 2, message: "late", stage: null })).toBeNull();
    const after = await waitForRun(t.db, runId, () => true);
    expect(after).toMatchObject({ status: "completed", errorMessage: null, progressProcessed: done.progressProcessed, progressMessage: done.progressMessage });
  });
});
