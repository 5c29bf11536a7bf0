import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRuns, jobRunSteps } from "@/lib/db/schema";
import { setControl, type ControlChange } from "@/lib/jobs/queue-controls";
import demoPaced from "@/jobs/demo-paced.handler";
import type { HandlerMap } from "@/workers/runner";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun, type Tenant } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
const workers: RunningWorker[] = [];

/** demo_paced runs as it ships; the handler also counts how many run at once, across both workers. */
let now = 0;
let most = 0;
const handlers: HandlerMap = {
  demo_paced: async (ctx) => {
    now++;
    most = Math.max(most, now);
    try {
      return await demoPaced(ctx);
    } finally {
      now--;
    }
  },
};

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  workers.push(await runWorker(t.url, { handlers }));
});
afterAll(async () => {
  for (const w of workers.slice(1)) await w.stop();
  await closeTestEnv({ t, boss }, workers[0]);
});

async function triggerOk(tenant: Tenant, payload: Record<string, unknown> = { items: 2, msPerItem: 20 }): Promise<string> {
  const result = await trigger(t.db, boss, tenant, "demo_paced", payload);
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

const control = (change: Omit<ControlChange, "jobType" | "updatedBy">) => t.db.transaction((tx) => setControl(tx, { jobType: "demo_paced", updatedBy: null, ...change }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("queue controls with real workers", () => {
  test("a paused job type accepts runs that wait, without a restart or an attempt; resume runs them", async () => {
    const [paused, other] = [await createTenant(t.db), await createTenant(t.db)];
    // The worker is up and claiming.
    await waitForRun(t.db, await triggerOk(paused), (r) => r.status === "completed");

    await control({ projectId: paused.projectId, paused: true });
    await sleep(1200);
    const waiting = await triggerOk(paused);
    // Another project's runs of the same type still run: the pause is the project's.
    await waitForRun(t.db, await triggerOk(other), (r) => r.status === "completed");
    // Longer than the orphaned-pending sweep's grace (staleAfterSeconds 3): a held run is not an orphan.
    await sleep(3500);
    const [held] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, waiting));
    expect(held).toMatchObject({ status: "pending", attemptCount: 0, bossJobId: null, startedAt: null });
    expect(await t.db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, waiting))).toEqual([]);

    await control({ projectId: paused.projectId, paused: false });
    const done = await waitForRun(t.db, waiting, (r) => r.status === "completed", 5000);
    expect(done.attemptCount).toBe(1);
  });

  test("an instance-wide limit of 1 holds across two workers: never two at once, all complete, no attempt lost", async () => {
    workers.push(await runWorker(t.url, { handlers }));
    await control({ projectId: null, concurrencyLimit: 1 });
    await sleep(1200);
    now = most = 0;
    // Twelve runs: with six, one worker now and then won every slot and "both took part" failed.
    const tenants = await Promise.all(Array.from({ length: 12 }, () => createTenant(t.db)));
    const runIds = await Promise.all(tenants.map((tenant) => triggerOk(tenant, { items: 3, msPerItem: 40 })));

    // The database's view too: sampled while the runs drain.
    let mostInDb = 0;
    const until = Date.now() + 30_000;
    for (;;) {
      const rows = await t.db
        .select({ running: sql<number>`count(*) filter (where ${jobRuns.status} = 'running')::int`, done: sql<number>`count(*) filter (where ${jobRuns.status} = 'completed')::int` })
        .from(jobRuns)
        .where(inArray(jobRuns.id, runIds));
      mostInDb = Math.max(mostInDb, rows[0]!.running);
      if (rows[0]!.done === runIds.length || Date.now() > until) break;
      await sleep(10);
    }
    expect(mostInDb).toBe(1);
    expect(most).toBe(1);
    const ended = await t.db.select({ status: jobRuns.status, attempts: jobRuns.attemptCount, workerId: jobRuns.workerId }).from(jobRuns).where(inArray(jobRuns.id, runIds));
    expect(ended.map((r) => `${r.status}:${r.attempts}`)).toEqual(runIds.map(() => "completed:1"));
    // Both workers took part.
    expect(new Set(ended.map((r) => r.workerId)).size).toBe(2);
    await control({ projectId: null, concurrencyLimit: null });
  }, 60_000);

  test("an instance pause holds every project's runs; runs already running finish", async () => {
    const [a, b] = [await createTenant(t.db), await createTenant(t.db)];
    const running = await triggerOk(a, { items: 20, msPerItem: 100 });
    await waitForRun(t.db, running, (r) => r.status === "running");
    await control({ projectId: null, paused: true });
    await sleep(1200);
    const waiting = await triggerOk(b);
    await waitForRun(t.db, running, (r) => r.status === "completed", 10_000);
    const [held] = await t.db.select({ status: jobRuns.status, attempts: jobRuns.attemptCount }).from(jobRuns).where(and(eq(jobRuns.id, waiting)));
    expect(held).toEqual({ status: "pending", attempts: 0 });
    await control({ projectId: null, paused: false });
    await waitForRun(t.db, waiting, (r) => r.status === "completed", 5000);
  });
});
