import { eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { jobRuns } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { cancelRun, type CancelOutcome } from "@/lib/jobs/web/cancel";
import { retryNow } from "@/lib/jobs/web/retry-now";
import { setControl } from "@/lib/jobs/queue-controls";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import type { RecordedDelay } from "../support/scaled-retry";
import { closeTestEnv, createTenant, openTestEnv, runWorker, waitForRun, type Tenant } from "../support/fixtures";

// Retry waits are made 20 times longer (runs_export: 50–100 s before its second attempt), so a
// retry that starts within seconds can only have been started by "retry now".
const delays = vi.hoisted(() => ({ computed: [] as RecordedDelay[] }));
vi.mock("@/lib/jobs/retry", async (importOriginal) => (await import("../support/scaled-retry")).scaleRetryDelays(await importOriginal(), delays.computed, 1 / 20));

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url, {
    handlers: {
      // Attempt 1 fails retryably; later attempts succeed.
      runs_export: async (ctx) => {
        if (ctx.attempt === 1) throw new JobError("Upstream refused", { type: "api_error", source: "external_service", subType: "upstream_503", severity: 3 });
        return { attempt: ctx.attempt };
      },
    },
  });
});
afterAll(() => closeTestEnv({ t, boss }, worker));

async function later(tenant: Tenant, jobType: string, payload: Record<string, unknown>, runAt: Date) {
  const def = getJobDefinition(jobType)!;
  return triggerRun(t.db, boss, { def, payload: def.payload.parse(payload) as Record<string, unknown>, teamId: tenant.teamId, projectId: tenant.projectId, triggeredBy: tenant.userId, notify: false, runAt });
}

async function laterId(tenant: Tenant, runAt: Date, payload: Record<string, unknown> = { items: 1, msPerItem: 10 }): Promise<string> {
  const result = await later(tenant, "demo_paced", payload, runAt);
  if (!result.ok) throw new Error("refused");
  return result.runId;
}

const queueJob = async (id: string) => (await t.sql<{ state: string; start_after: Date }[]>`select state, start_after from pgboss.job where id = ${id}`)[0];

describe("a later run (runAt)", () => {
  test("scheduled 2 s ahead, it does not start before its time and starts soon after", async () => {
    const tenant = await createTenant(t.db);
    const runAt = new Date(Date.now() + 2000);
    const runId = await laterId(tenant, runAt);
    const [row] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(row).toMatchObject({ status: "pending", attemptCount: 0 });
    expect(row!.runAt.getTime()).toBe(runAt.getTime());
    // The queue job is held by pg-boss until then, in the same transaction as the row.
    expect(new Date((await queueJob(row!.bossJobId!))!.start_after).getTime()).toBe(runAt.getTime());

    await new Promise((r) => setTimeout(r, runAt.getTime() - Date.now() - 300));
    const [before] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(before).toMatchObject({ status: "pending", attemptCount: 0, startedAt: null });

    const done = await waitForRun(t.db, runId, (r) => r.status === "completed", 10_000);
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(done.startedAt!.getTime()).toBeLessThan(runAt.getTime() + 3000);
  });

  test("it holds its overlap slot: another trigger of an overlap:project type is refused with its id, saying it is scheduled", async () => {
    const tenant = await createTenant(t.db);
    const runId = await laterId(tenant, new Date(Date.now() + 60 * 60_000));
    const second = await later(tenant, "demo_paced", { items: 1, msPerItem: 10 }, new Date(Date.now() + 2 * 60 * 60_000));
    expect(second).toMatchObject({ ok: false, code: "already_active", existingRunId: runId, overlap: "project", message: expect.stringMatching(/already scheduled for .* UTC/) });
  });

  test("cancelled before it starts: cancelled at once, its queue job cancelled, the slot free, and it never runs", async () => {
    const tenant = await createTenant(t.db);
    const runId = await laterId(tenant, new Date(Date.now() + 1500));
    const [row] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "cancelled", status: "cancelled" });
    expect((await queueJob(row!.bossJobId!))?.state).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 2500));
    const [after] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(after).toMatchObject({ status: "cancelled", attemptCount: 0, startedAt: null });
    // The slot is free: a run now is accepted.
    expect((await later(tenant, "demo_paced", { items: 1, msPerItem: 10 }, new Date(Date.now() + 60_000))).ok).toBe(true);
  });

  test("a pause still applies when it comes due: it is held, not started, and runs on resume", async () => {
    const tenant = await createTenant(t.db);
    const pause = (paused: boolean) => t.db.transaction((tx) => setControl(tx, { jobType: "demo_paced", projectId: tenant.projectId, paused, updatedBy: null }));
    await pause(true);
    // Workers pick a control up within a second.
    await new Promise((r) => setTimeout(r, 1500));
    const runId = await laterId(tenant, new Date(Date.now() + 1000));
    await new Promise((r) => setTimeout(r, 3000));
    const [held] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(held).toMatchObject({ status: "pending", attemptCount: 0, startedAt: null, bossJobId: null });
    await pause(false);
    await waitForRun(t.db, runId, (r) => r.status === "completed", 10_000);
  });

  test("20 cancels racing their runs' start: every answer matches how the run ends", async () => {
    const tenants = await Promise.all(Array.from({ length: 20 }, () => createTenant(t.db)));
    const due = new Date(Date.now() + 1500);
    const ids = await Promise.all(tenants.map((tenant) => laterId(tenant, due, { items: 5, msPerItem: 100 })));
    // Fire the cancels around the due time: some land before the claim, some after.
    await new Promise((r) => setTimeout(r, due.getTime() - Date.now() - 200));
    const answers: CancelOutcome[] = await Promise.all(
      ids.map(async (id, i) => {
        await new Promise((r) => setTimeout(r, i * 25));
        return cancelRun(t.db, boss, id, tenants[i]!.userId);
      }),
    );
    const ends = await Promise.all(ids.map((id) => waitForRun(t.db, id, (r) => r.status !== "pending" && r.status !== "running", 15_000)));
    ends.forEach((run, i) => {
      const answer = answers[i]!;
      if (answer.outcome === "cancelled") expect(run).toMatchObject({ status: "cancelled", startedAt: null });
      else if (answer.outcome === "cancelling") expect(run.status).toBe("cancelled");
      else expect(answer).toEqual({ outcome: "already_finished", status: run.status });
    });
  });
});

describe("retry now", () => {
  async function waitingRun(): Promise<{ runId: string; tenant: Tenant; dueAt: Date }> {
    const tenant = await createTenant(t.db);
    const def = getJobDefinition("runs_export")!;
    const result = await triggerRun(t.db, boss, { def, payload: def.payload.parse({ days: 1 }) as Record<string, unknown>, teamId: tenant.teamId, projectId: tenant.projectId, triggeredBy: tenant.userId, notify: false });
    if (!result.ok) throw new Error("refused");
    const waiting = await waitForRun(t.db, result.runId, (r) => r.status === "pending" && r.attemptCount === 1);
    expect(waiting.runAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
    return { runId: result.runId, tenant, dueAt: waiting.runAt };
  }

  test("starts the next attempt now instead of after its backoff; the old queue job is cancelled", async () => {
    const { runId, dueAt } = await waitingRun();
    const [before] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(await retryNow(t.db, boss, runId)).toEqual({ ok: true });
    expect((await queueJob(before!.bossJobId!))?.state).toBe("cancelled");
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed", 10_000);
    expect(done.attemptCount).toBe(2);
    expect(done.result).toEqual({ attempt: 2 });
    expect(done.completedAt!.getTime()).toBeLessThan(dueAt.getTime());
    // Not waiting any more: refused, changing nothing.
    expect(await retryNow(t.db, boss, runId)).toEqual({ ok: false, code: "not_waiting", status: "completed", attempts: 2 });
  });

  test("10 concurrent retry-nows: exactly one wins, one new queue job, one more attempt", async () => {
    const { runId } = await waitingRun();
    const answers = await Promise.all(Array.from({ length: 10 }, () => retryNow(t.db, boss, runId)));
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    for (const a of answers.filter((x) => !x.ok)) expect(a).toMatchObject({ ok: false, code: "not_waiting" });
    const done = await waitForRun(t.db, runId, (r) => r.status === "completed", 10_000);
    expect(done.attemptCount).toBe(2);
    const jobs = await t.sql<{ state: string }[]>`select state from pgboss.job where name = 'runs_export' and data->>'runId' = ${runId} order by created_on`;
    // Attempt 1's job (failed), the retry's delayed job (cancelled), and the one retry-now sent.
    expect(jobs.map((j) => j.state).sort()).toEqual(["cancelled", "completed", "failed"]);
  });

  test("refuses a run that is not waiting for a retry: a later run before its time, and an unknown id", async () => {
    const tenant = await createTenant(t.db);
    const runId = await laterId(tenant, new Date(Date.now() + 60 * 60_000));
    expect(await retryNow(t.db, boss, runId)).toEqual({ ok: false, code: "not_waiting", status: "pending", attempts: 0 });
    const [row] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    expect(row!.runAt.getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(await retryNow(t.db, boss, "00000000-0000-4000-8000-000000000000")).toEqual({ ok: false, code: "not_found" });
  });
});
