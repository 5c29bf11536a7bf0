import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { and, eq, sql } from "drizzle-orm";
import { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditEvents, jobRuns, jobSchedules, projects, projectSchedules } from "@/lib/db/schema";
import { BOSS_SCHEMA, CRON_QUEUE } from "@/lib/jobs/boss";
import { PROJECT_CRON_QUEUE, listProjectSchedules, removeProjectSchedule, setProjectSchedule, setProjectSchedulePaused, type ScheduleScope } from "@/lib/jobs/project-schedules";
import { registerSchedules, runScheduleTick } from "@/lib/jobs/worker/schedules";
import { listSystemSchedules, runSystemJobNow, setSystemSchedulePaused } from "@/lib/jobs/system-schedules";
import { runProjectScheduleTick } from "@/workers/schedule-ticks";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, waitForRun, type Tenant } from "../support/fixtures";

let t: TestDatabase;
let boss: PgBoss;
let worker: RunningWorker;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  worker = await runWorker(t.url);
});
afterAll(() => closeTestEnv({ t, boss }, worker));

const scopeOf = (tenant: Tenant): ScheduleScope => ({ projectId: tenant.projectId, teamId: tenant.teamId, actor: { userId: tenant.userId, apiKeyId: null } });

async function row(tenant: Tenant, jobType: string) {
  const [r] = await t.db
    .select()
    .from(projectSchedules)
    .where(and(eq(projectSchedules.projectId, tenant.projectId), eq(projectSchedules.jobType, jobType)));
  return r;
}

async function bossSchedule(key: string) {
  return (await boss.getSchedules(PROJECT_CRON_QUEUE)).find((s) => s.key === key) ?? null;
}

/** A pg-boss that runs cron passes every second (a worker's own runs every 30 s), as several workers' bosses would. */
async function cronDriver(): Promise<PgBoss> {
  const driver = new PgBoss({ connectionString: t.url, schema: BOSS_SCHEMA, max: 2, supervise: false, migrate: false, cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 });
  driver.on("error", () => undefined);
  await driver.start();
  return driver;
}

describe("project schedules", () => {
  test("set registers the cron with pg-boss (UTC); pause unregisters it, resume registers it again, remove drops both; each change is audited", async () => {
    const tenant = await createTenant(t.db);
    const set = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "  0   3 * * 1 ", payload: { days: 7 } });
    expect(set.ok).toBe(true);
    if (!set.ok) return;
    expect(set.schedule).toMatchObject({ cron: "0 3 * * 1", payload: { days: 7, includeErrors: true }, paused: false });
    expect(new Date(set.schedule.nextRunAt!).getUTCDay()).toBe(1);
    expect(await bossSchedule(set.schedule.id)).toMatchObject({ cron: "0 3 * * 1", timezone: "UTC", data: { scheduleId: set.schedule.id } });

    // Changing it keeps one schedule per project and type.
    const changed = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "*/5 * * * *" });
    expect(changed.ok && changed.schedule.id).toBe(set.schedule.id);
    expect((await bossSchedule(set.schedule.id))?.cron).toBe("*/5 * * * *");

    expect((await setProjectSchedulePaused(t.db, boss, scopeOf(tenant), "runs_export", true)).ok).toBe(true);
    expect(await bossSchedule(set.schedule.id)).toBeNull();
    expect((await row(tenant, "runs_export"))?.pausedAt).not.toBeNull();
    expect((await listProjectSchedules(t.db, tenant.projectId))[0]).toMatchObject({ paused: true, nextRunAt: null });
    expect(await setProjectSchedulePaused(t.db, boss, scopeOf(tenant), "runs_export", true)).toMatchObject({ ok: false, code: "unchanged" });
    // Setting a paused schedule changes its cron but does not wake it.
    await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "0 * * * *" });
    expect(await bossSchedule(set.schedule.id)).toBeNull();

    expect((await setProjectSchedulePaused(t.db, boss, scopeOf(tenant), "runs_export", false)).ok).toBe(true);
    expect((await bossSchedule(set.schedule.id))?.cron).toBe("0 * * * *");

    expect(await removeProjectSchedule(t.db, boss, scopeOf(tenant), "runs_export")).toEqual({ ok: true });
    expect(await bossSchedule(set.schedule.id)).toBeNull();
    expect(await row(tenant, "runs_export")).toBeUndefined();
    expect(await removeProjectSchedule(t.db, boss, scopeOf(tenant), "runs_export")).toMatchObject({ ok: false, code: "not_found" });

    const audit = await t.db.select({ action: auditEvents.action, actor: auditEvents.actorUserId }).from(auditEvents).where(eq(auditEvents.teamId, tenant.teamId)).orderBy(auditEvents.createdAt);
    expect(audit.map((a) => a.action)).toEqual(["schedule.set", "schedule.set", "schedule.paused", "schedule.set", "schedule.resumed", "schedule.removed"]);
    expect(audit.every((a) => a.actor === tenant.userId)).toBe(true);
  });

  test.each([
    ["61 * * * *", /not a valid cron expression/],
    ["* * * *", /has 5 fields.*this one has 4/],
    ["* * * * * *", /this one has 6/],
    ["0 0 31 2 *", /not a valid cron/],
    ["FREQ=DAILY", /5 fields/],
    ["", /Enter a cron expression/],
    ["x".repeat(1024 * 1024), /at most 100 characters/],
    ["0 0 * * \u0000", /digits, names/],
    ["0 0 * * $(rm)", /5 fields|digits, names/],
  ])("bad cron %# is refused with a clear message and changes nothing", async (cron, message) => {
    const tenant = await createTenant(t.db);
    const before = (await boss.getSchedules(PROJECT_CRON_QUEUE)).length;
    const outcome = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron });
    expect(outcome).toMatchObject({ ok: false, code: "invalid", fieldErrors: { cron: [expect.stringMatching(message)] } });
    expect(await row(tenant, "runs_export")).toBeUndefined();
    expect((await boss.getSchedules(PROJECT_CRON_QUEUE)).length).toBe(before);
    expect(await t.db.select().from(auditEvents).where(eq(auditEvents.teamId, tenant.teamId))).toHaveLength(0);
  });

  test("a payload the job's schema refuses, a system job type or an unknown one is refused and changes nothing", async () => {
    const tenant = await createTenant(t.db);
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "0 * * * *", payload: { days: 0 } })).toMatchObject({ ok: false, fieldErrors: { payload: [expect.stringMatching(/^days:/)] } });
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "contacts_import", cron: "0 * * * *" })).toMatchObject({ ok: false, fieldErrors: { payload: [expect.stringMatching(/^fileId:/)] } });
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "0 * * * *", payload: ["x"] })).toMatchObject({ ok: false, fieldErrors: { payload: ["The payload must be a JSON object."] } });
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "runs_export", cron: "0 * * * *", payload: { "a\u0000": 1 } })).toMatchObject({ ok: false, code: "invalid" });
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "db_pruning", cron: "0 * * * *" })).toMatchObject({ ok: false, code: "unknown_job_type" });
    expect(await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "nope", cron: "0 * * * *" })).toMatchObject({ ok: false, code: "unknown_job_type" });
    expect(await t.db.select().from(projectSchedules).where(eq(projectSchedules.projectId, tenant.projectId))).toHaveLength(0);
  });

  test("pg-boss's cron pass sends one tick for a per-minute schedule across several schedulers, and a worker turns it into a run", async () => {
    const tenant = await createTenant(t.db);
    const set = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "demo_paced", cron: "* * * * *", payload: { items: 1, msPerItem: 10 } });
    if (!set.ok) throw new Error(set.message);
    const second = await runWorker(t.url);
    const drivers = [await cronDriver(), await cronDriver()];
    try {
      let started: typeof projectSchedules.$inferSelect | undefined;
      for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        started = await row(tenant, "demo_paced");
        if (started?.lastRunId) break;
      }
      expect(started).toMatchObject({ lastOutcome: "started", skippedCount: 0 });
      const run = await waitForRun(t.db, started!.lastRunId!, (r) => r.status === "completed");
      expect(run).toMatchObject({ projectId: tenant.projectId, jobType: "demo_paced", triggeredBy: null, payload: { items: 1, msPerItem: 10 } });
      // Passes keep running on both drivers (and both workers' own); the minute's occurrence stays one tick.
      await new Promise((r) => setTimeout(r, 3000));
      const ticks = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from pgboss.job where name = ${PROJECT_CRON_QUEUE} and data->>'scheduleId' = ${set.schedule.id}`);
      const runs = await t.db.select({ id: jobRuns.id }).from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId));
      // A minute boundary may fall inside the wait: then that minute's tick is the second one.
      expect(ticks[0]!.n).toBe(runs.length);
      expect(runs.length).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(drivers.map((d) => d.stop({ graceful: false, close: true })));
      await second.stop();
    }
  });

  test("a tick while the schedule's previous run is still active is skipped and counted; paused, deleted-project and removed ticks start nothing", async () => {
    const tenant = await createTenant(t.db);
    const set = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "demo_paced", cron: "* * * * *", payload: { items: 200, msPerItem: 50 } });
    if (!set.ok) throw new Error(set.message);
    const first = await runProjectScheduleTick(t.db, boss, set.schedule.id);
    expect(first.outcome).toBe("started");
    if (first.outcome !== "started") return;
    await waitForRun(t.db, first.runId, (r) => r.status === "running");
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "skipped", existingRunId: first.runId });
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "skipped", existingRunId: first.runId });
    const skipped = await row(tenant, "demo_paced");
    expect(skipped).toMatchObject({ skippedCount: 2, lastOutcome: "skipped", lastRunId: first.runId });
    expect(skipped?.lastSkippedAt).not.toBeNull();
    expect((await listProjectSchedules(t.db, tenant.projectId))[0]).toMatchObject({ skippedCount: 2, lastRun: { id: first.runId, status: "running" } });

    // Paused: a tick pg-boss had already sent starts nothing, even once the previous run is over.
    await t.db.update(jobRuns).set({ status: "cancelled", completedAt: new Date() }).where(eq(jobRuns.id, first.runId));
    await setProjectSchedulePaused(t.db, boss, scopeOf(tenant), "demo_paced", true);
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "ignored", reason: "paused" });
    expect(await t.db.select().from(jobRuns).where(eq(jobRuns.projectId, tenant.projectId))).toHaveLength(1);

    // Resumed: the next tick starts a run again.
    await setProjectSchedulePaused(t.db, boss, scopeOf(tenant), "demo_paced", false);
    await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "demo_paced", cron: "* * * * *", payload: { items: 1, msPerItem: 10 } });
    const again = await runProjectScheduleTick(t.db, boss, set.schedule.id);
    expect(again.outcome).toBe("started");

    // Its project soft-deleted: nothing runs.
    await t.db.update(jobRuns).set({ status: "cancelled", completedAt: new Date() }).where(eq(jobRuns.projectId, tenant.projectId));
    await t.db.update(projects).set({ deletedAt: new Date() }).where(eq(projects.id, tenant.projectId));
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "ignored", reason: "project_deleted" });
    await t.db.update(projects).set({ deletedAt: null }).where(eq(projects.id, tenant.projectId));

    // Removed while pg-boss still had a tick for it: nothing runs and the stray cron is dropped.
    await removeProjectSchedule(t.db, boss, scopeOf(tenant), "demo_paced");
    await boss.schedule(PROJECT_CRON_QUEUE, "* * * * *", { scheduleId: set.schedule.id }, { key: set.schedule.id });
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "ignored", reason: "gone" });
    expect(await bossSchedule(set.schedule.id)).toBeNull();
  });

  test("a tick that loses to another run of the type (overlap slot) is skipped and names that run", async () => {
    const tenant = await createTenant(t.db);
    const set = await setProjectSchedule(t.db, boss, scopeOf(tenant), { jobType: "demo_paced", cron: "0 * * * *", payload: { items: 200, msPerItem: 50 } });
    if (!set.ok) throw new Error(set.message);
    const first = await runProjectScheduleTick(t.db, boss, set.schedule.id);
    if (first.outcome !== "started") throw new Error(first.outcome);
    // The schedule forgets its last run (as after it was removed and set again): the overlap slot still holds.
    await t.db.update(projectSchedules).set({ lastRunId: null }).where(eq(projectSchedules.id, set.schedule.id));
    expect(await runProjectScheduleTick(t.db, boss, set.schedule.id)).toEqual({ outcome: "skipped", existingRunId: first.runId });
    await t.db.update(jobRuns).set({ status: "cancelled", completedAt: new Date() }).where(eq(jobRuns.id, first.runId));
  });
});

describe("system schedules", () => {
  test("pausing takes the cron out of pg-boss (a restarting worker leaves it out), ticks start nothing, resume and run-now work; audited", async () => {
    const owner = { userId: null, apiKeyId: null };
    await registerSchedules(t.db, boss);
    expect((await boss.getSchedules(CRON_QUEUE)).map((s) => s.key)).toContain("partition_creation");

    expect(await setSystemSchedulePaused(t.db, boss, "partition_creation", true, owner, "dashboard")).toMatchObject({ ok: true });
    expect((await boss.getSchedules(CRON_QUEUE)).map((s) => s.key)).not.toContain("partition_creation");
    await registerSchedules(t.db, boss);
    expect((await boss.getSchedules(CRON_QUEUE)).map((s) => s.key)).not.toContain("partition_creation");
    expect(await runScheduleTick(t.db, boss, "partition_creation")).toEqual({ outcome: "paused" });
    const listed = (await listSystemSchedules(t.db)).find((s) => s.jobType === "partition_creation");
    expect(listed).toMatchObject({ paused: true, nextRunAt: null, cron: "0 4 * * *", runnableNow: true });

    // Run now still works while paused.
    const now = await runSystemJobNow(t.db, boss, "partition_creation", {}, owner, "dashboard");
    if (!now.ok) throw new Error(now.message);
    await waitForRun(t.db, now.runId, (r) => r.status === "completed");

    expect(await setSystemSchedulePaused(t.db, boss, "partition_creation", false, owner, "dashboard")).toMatchObject({ ok: true });
    expect((await boss.getSchedules(CRON_QUEUE)).find((s) => s.key === "partition_creation")).toMatchObject({ cron: "0 4 * * *", timezone: "UTC" });
    expect(await setSystemSchedulePaused(t.db, boss, "partition_creation", false, owner, "dashboard")).toMatchObject({ ok: false, code: "unchanged" });
    expect(await setSystemSchedulePaused(t.db, boss, "notification_delivery", true, owner, "dashboard")).toMatchObject({ ok: false, code: "not_scheduled" });
    expect(await setSystemSchedulePaused(t.db, boss, "runs_export", true, owner, "dashboard")).toMatchObject({ ok: false, code: "unknown_job_type" });
    const [state] = await t.db.select().from(jobSchedules).where(eq(jobSchedules.jobType, "partition_creation"));
    expect(state?.pausedAt).toBeNull();

    const audit = await t.db.select({ action: auditEvents.action, details: auditEvents.details }).from(auditEvents).where(sql`${auditEvents.action} like 'system_%'`).orderBy(auditEvents.createdAt);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["system_schedule.paused", "system_job.run_now", "system_schedule.resumed"]));
  });

  test("npm run system pause/resume go through the same code path and show in list", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const system = (...args: string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/system.ts", ...args], { cwd: root, env: { ...process.env, DATABASE_URL: t.url } });
    expect((await system("pause", "db_pruning")).stdout).toMatch(/Paused the db_pruning schedule/);
    expect((await system("list")).stdout).toMatch(/db_pruning\s+0 \* \* \* \*\s+paused/);
    expect((await boss.getSchedules(CRON_QUEUE)).map((s) => s.key)).not.toContain("db_pruning");
    expect((await system("resume", "db_pruning")).stdout).toMatch(/Resumed the db_pruning schedule/);
    expect((await boss.getSchedules(CRON_QUEUE)).map((s) => s.key)).toContain("db_pruning");
    await expect(system("pause", "nope")).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown system job type "nope"/) });
    const [event] = await t.db.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.action, "system_schedule.resumed")).orderBy(sql`${auditEvents.createdAt} desc`).limit(1);
    expect(event?.details).toMatchObject({ jobType: "db_pruning", via: "cli" });
    // Four CLI processes (tsx compiles each) on a loaded machine: a budget, not a speed target.
  }, 120_000);
});
