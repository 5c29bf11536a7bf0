import { and, eq, inArray } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { files, jobRuns } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, trigger } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(() => closeTestEnv({ t, boss }));

async function queueJob(id: string) {
  const rows = await t.sql<{ name: string; data: { runId: string }; state: string }[]>`select name, data, state from pgboss.job where id = ${id}`;
  return rows[0];
}

describe("triggering a run", () => {
  test("creates the run row and its pg-boss job together, the job carrying only the run id", async () => {
    const tenant = await createTenant(t.db);
    const result = await trigger(t.db, boss, tenant, "demo_paced", { items: 3, msPerItem: 10 }, true);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, result.runId));
    expect(run).toMatchObject({ status: "pending", jobType: "demo_paced", projectId: tenant.projectId, teamId: tenant.teamId, triggeredBy: tenant.userId, notify: true, attemptCount: 0, maxAttempts: 1 });
    expect(run?.payload).toEqual({ items: 3, msPerItem: 10 });
    const job = await queueJob(run!.bossJobId!);
    expect(job).toMatchObject({ name: "demo_paced", data: { runId: result.runId }, state: "created" });
  });

  test("when anything in the transaction fails, neither the run, its upload nor the queue job exists", async () => {
    const tenant = await createTenant(t.db);
    const def = getJobDefinition("contacts_import")!;
    await expect(
      triggerRun(t.db, boss, {
        def,
        payload: {},
        teamId: tenant.teamId,
        projectId: tenant.projectId,
        triggeredBy: tenant.userId,
        notify: false,
        prepare: async (tx) => {
          await tx.insert(files).values({ projectId: tenant.projectId, name: "a.csv", contentType: "text/csv", sizeBytes: 1, content: Buffer.from("x") });
          // Not a uuid: the run insert fails after the upload was written.
          return { fileId: "not-a-uuid" };
        },
      }),
    ).rejects.toThrow();
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId))).toHaveLength(0);
    expect(await t.db.select().from(files).where(eq(files.projectId, tenant.projectId))).toHaveLength(0);
  });

  test("a send pg-boss refuses rolls the run back", async () => {
    const tenant = await createTenant(t.db);
    const def = getJobDefinition("demo_paced")!;
    // A queue that does not exist: pg-boss's insert fails inside our transaction.
    const result = triggerRun(t.db, boss, { def: { ...def, name: "no_such_queue" }, payload: { items: 1, msPerItem: 10 }, teamId: tenant.teamId, projectId: tenant.projectId, triggeredBy: tenant.userId, notify: false });
    await expect(result).rejects.toThrow();
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId))).toHaveLength(0);
  });

  test("50 concurrent triggers of one job type create exactly one run; the rest get its id", async () => {
    const tenant = await createTenant(t.db);
    const results = await Promise.all(Array.from({ length: 50 }, () => trigger(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 })));
    const created = results.filter((r) => r.ok);
    expect(created).toHaveLength(1);
    const runId = created[0]!.ok ? created[0]!.runId : "";
    for (const r of results.filter((x) => !x.ok)) expect(r).toEqual({ ok: false, code: "already_active", existingRunId: runId, overlap: "project", message: "Demo: paced run is already running for this project." });
    const runs = await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId));
    expect(runs).toHaveLength(1);
    const jobs = await t.sql`select id from pgboss.job where name = 'demo_paced' and data->>'runId' = ${runId}`;
    expect(jobs).toHaveLength(1);
  });

  test("overlap is per job type and per project, and ends when the run ends", async () => {
    const a = await createTenant(t.db);
    const b = await createTenant(t.db);
    const first = await trigger(t.db, boss, a, "runs_export", { days: 1 });
    expect(first.ok).toBe(true);
    expect((await trigger(t.db, boss, a, "demo_paced", { items: 1 })).ok).toBe(true);
    expect((await trigger(t.db, boss, b, "runs_export", { days: 1 })).ok).toBe(true);
    expect((await trigger(t.db, boss, a, "runs_export", { days: 1 })).ok).toBe(false);
    if (!first.ok) return;
    await t.db.update(jobRuns).set({ status: "completed" }).where(and(eq(jobRuns.id, first.runId), inArray(jobRuns.status, ["pending"])));
    expect((await trigger(t.db, boss, a, "runs_export", { days: 1 })).ok).toBe(true);
  });
});
