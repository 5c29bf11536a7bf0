import { inArray } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns } from "@/lib/db/schema";
import { endAttempts, startAttempts, type FinishInput } from "@/lib/jobs/lifecycle";
import { heartbeatRuns } from "@/lib/jobs/run-store";
import { cancelRun, type CancelOutcome } from "@/lib/jobs/web/cancel";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, trigger } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(async () => {
  await closeTestEnv({ t, boss });
});

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * A worker's heartbeat and its batched end writes cover the same held runs, each statement in the
 * order of its own array, while users cancel those runs one by one. Before every many-row write
 * locked its rows in id order, two such statements deadlocked (40P01), and a cancel queued on one of
 * their rows was often the one Postgres picked to fail: the web answered 500.
 */
describe("many-row writes of job_runs and cancels on the same rows", () => {
  test("heartbeats, batched end writes and cancels racing: no deadlock, every cancel answer matches its run's end", async () => {
    const tenant = await createTenant(t.db);
    const workerId = "lock-order:1";
    for (let round = 0; round < 4; round++) {
      const runIds: string[] = [];
      for (let i = 0; i < 24; i++) {
        // One project each: demo_paced runs one at a time per project.
        const result = await trigger(t.db, boss, await createTenant(t.db), "demo_paced", { items: 1, msPerItem: 10 });
        if (!result.ok) throw new Error("trigger refused");
        runIds.push(result.runId);
      }
      const rows = await t.db.select({ id: jobRuns.id, bossJobId: jobRuns.bossJobId }).from(jobRuns).where(inArray(jobRuns.id, runIds));
      const started = await startAttempts(t.db, rows.map((r) => ({ runId: r.id, bossJobId: r.bossJobId! })), workerId);
      expect(started.every((s) => s !== null)).toBe(true);

      const end = (ids: string[]) =>
        endAttempts(
          t.db,
          ids.map((runId): FinishInput => ({ runId, attempt: 1, outcome: { status: "completed", result: { ok: true } }, durationMs: 5 })),
        );
      const byIdDesc = [...runIds].sort().reverse();
      const work: Promise<unknown>[] = [];
      const cancels = new Map<string, Promise<CancelOutcome>>();
      for (let i = 0; i < 6; i++) work.push(heartbeatRuns(t.db, i % 2 ? [...runIds].sort() : shuffled(runIds), workerId));
      work.push(end(byIdDesc.slice(0, 16)), end(shuffled(byIdDesc.slice(8))));
      for (const runId of shuffled(runIds)) cancels.set(runId, cancelRun(t.db, boss, runId, tenant.userId));
      work.push(...cancels.values());

      const settled = await Promise.allSettled(work);
      const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
      expect(errors.map((e) => (e instanceof Error ? `${e.message} ${String((e.cause as { code?: string } | undefined)?.code ?? "")}` : String(e)))).toEqual([]);

      const final = new Map((await t.db.select({ id: jobRuns.id, status: jobRuns.status }).from(jobRuns).where(inArray(jobRuns.id, runIds))).map((r) => [r.id, r.status]));
      for (const [runId, answer] of cancels) {
        const outcome = await answer;
        const status = final.get(runId);
        // A run still running (its end was not in either write) ends cancelled once its end is written.
        if (outcome.outcome === "already_finished") expect([runId, status]).toEqual([runId, outcome.status]);
        else expect([runId, outcome.outcome, status === "completed"]).toEqual([runId, "cancelling", false]);
      }
    }
  }, 120_000);
});
