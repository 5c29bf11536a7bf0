import { asc, eq } from "drizzle-orm";
import { notifyChannelSql } from "pg-boss/dist/plans.js";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobRunSteps } from "@/lib/db/schema";
import { BOSS_SCHEMA } from "@/lib/jobs/boss";
import { JobError } from "@/lib/jobs/errors";
import { CHANNEL_SQL, idlePollSeconds } from "@/workers/due-waker";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url, {
    handlers: {
      // The first attempt fails and is retried after runs_export's real backoff (2.5-5 s).
      runs_export: async (ctx) => {
        if (ctx.attempt === 1) throw new JobError("Upstream refused", { type: "api_error", source: "external_service", subType: "upstream_503", severity: 3 });
        return {};
      },
    },
  });
});
afterAll(() => closeTestEnv({ t, boss }, worker));

describe("due waker", () => {
  test("it notifies on pg-boss's own channel", async () => {
    const [row] = await t.sql.unsafe<{ ours: string; theirs: string }[]>(`select ${CHANNEL_SQL} as ours, ${notifyChannelSql(BOSS_SCHEMA)} as theirs`);
    expect(row!.ours).toBe(row!.theirs);
  });

  test("a retry starts within moments of its due time although idle fetch loops poll only every 15 s", async () => {
    // runWorker polls every 0.5 s: idle loops then wait idlePollSeconds (15 s) between fetches.
    expect(idlePollSeconds(0.5)).toBe(15);
    const tenant = await createTenant(t.db);
    const result = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
    if (!result.ok) throw new Error("overlap");
    const waiting = await waitForRun(t.db, result.runId, (r) => r.status === "pending" && r.attemptCount === 1);
    const dueAt = waiting.runAt!.getTime();
    const done = await waitForRun(t.db, result.runId, (r) => r.status === "completed", 25_000);
    const steps = await t.db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, result.runId)).orderBy(asc(jobRunSteps.createdAt));
    expect(steps.map((s) => s.status)).toEqual(["retrying", "completed"]);
    // Started by the waker's NOTIFY (every 0.5 s), not by a 15 s backstop poll.
    const lagMs = done.attemptStartedAt!.getTime() - dueAt;
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(3_000);
  });
});
