import { asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { jobRuns, jobRunSteps } from "@/lib/db/schema";
import { DEAD_LETTER_QUEUE } from "@/lib/jobs/boss";
import { JobError } from "@/lib/jobs/errors";
import { redriveRun } from "@/lib/jobs/web/redrive";
import runsExport from "@/jobs/runs-export.handler";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import type { RecordedDelay } from "../support/scaled-retry";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun } from "../support/fixtures";

// The real backoff (runs_export: 5 s base, exponential, equal jitter) is computed and recorded;
// the wait is divided by 20 so three attempts fit in a test.
const delays = vi.hoisted(() => ({ computed: [] as RecordedDelay[] }));
vi.mock("@/lib/jobs/retry", async (importOriginal) => (await import("../support/scaled-retry")).scaleRetryDelays(await importOriginal(), delays.computed, 20));

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
let failing = true;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url, {
    handlers: {
      runs_export: async (ctx) => {
        if (failing) throw new JobError(`Upstream refused attempt ${ctx.attempt}`, { type: "api_error", source: "external_service", subType: "upstream_503", severity: 4 });
        return runsExport(ctx);
      },
    },
  });
});
afterAll(() => closeTestEnv({ t, boss }, worker));

describe("retries exhausted", () => {
  test("after the last attempt the run is dead-lettered with its last error, copied to pg-boss's dead-letter queue, and support can re-drive it", async () => {
    const tenant = await createTenant(t.db);
    const result = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
    if (!result.ok) throw new Error("refused");
    const dead = await waitForRun(t.db, result.runId, (r) => r.status === "dead_letter", 20_000);
    expect(dead).toMatchObject({ attemptCount: 3, maxAttempts: 3, errorMessage: "Upstream refused attempt 3" });
    expect(dead.error).toMatchObject({ type: "api_error", source: "external_service", subType: "upstream_503", severity: 4, retryable: true });
    // Exponential backoff with jitter: attempt 1 → 2.5–5 s, attempt 2 → 5–10 s (before scaling).
    const forRun = delays.computed.slice(-2);
    expect(forRun[0]!.seconds).toBeGreaterThanOrEqual(2.5);
    expect(forRun[0]!.seconds).toBeLessThanOrEqual(5);
    expect(forRun[1]!.seconds).toBeGreaterThanOrEqual(5);
    expect(forRun[1]!.seconds).toBeLessThanOrEqual(10);
    const steps = await t.db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, result.runId)).orderBy(asc(jobRunSteps.createdAt));
    expect(steps.filter((s) => s.stepType === "attempt").map((s) => `${s.attemptNumber}:${s.status}:${s.errorSubType}`)).toEqual([
      "1:retrying:upstream_503",
      "2:retrying:upstream_503",
      "3:failed:upstream_503",
    ]);
    const copies = await boss.findJobs(DEAD_LETTER_QUEUE, { data: { runId: result.runId }, queued: true });
    expect(copies).toHaveLength(1);
    expect(copies[0]?.data).toMatchObject({ runId: result.runId, jobType: "runs_export", error: "Upstream refused attempt 3" });

    // Re-drive: a fresh set of attempts; this time the upstream answers.
    failing = false;
    expect(await redriveRun(t.db, boss, result.runId, null)).toEqual({ ok: true });
    const done = await waitForRun(t.db, result.runId, (r) => r.status === "completed", 20_000);
    expect(done).toMatchObject({ attemptCount: 4, maxAttempts: 6 });
    expect(await boss.findJobs(DEAD_LETTER_QUEUE, { data: { runId: result.runId }, queued: true })).toHaveLength(0);
    expect(await redriveRun(t.db, boss, result.runId, null)).toEqual({ ok: false, code: "not_redrivable" });
  }, 40_000);

  test("a non-retryable error fails the run at once without dead-lettering", async () => {
    failing = true;
    const tenant = await createTenant(t.db);
    const fileId = "00000000-0000-4000-8000-000000000000"; // no such file: a validation error
    const result = await trigger(t.db, boss, tenant, "contacts_import", { fileId });
    if (!result.ok) throw new Error("refused");
    const failed = await waitForRun(t.db, result.runId, (r) => r.status === "failed");
    expect(failed).toMatchObject({ attemptCount: 1, errorMessage: "The uploaded file no longer exists" });
    expect(await boss.findJobs(DEAD_LETTER_QUEUE, { data: { runId: result.runId } })).toHaveLength(0);
  });
});

describe("heartbeats", () => {
  test("a running run refreshes last_heartbeat on the interval even without progress", async () => {
    const tenant = await createTenant(t.db);
    const result = await trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 3000 });
    if (!result.ok) throw new Error("refused");
    const first = await waitForRun(t.db, result.runId, (r) => r.status === "running");
    // The fixture worker beats every second; progress is silent while the one item sleeps.
    const later = await waitForRun(t.db, result.runId, (r) => r.lastHeartbeat!.getTime() >= first.lastHeartbeat!.getTime() + 1500, 5_000);
    expect(later.status).toBe("running");
    await waitForRun(t.db, result.runId, (r) => r.status === "completed");
    const [row] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, result.runId));
    expect(row?.lastHeartbeat).not.toBeNull();
  });
});
