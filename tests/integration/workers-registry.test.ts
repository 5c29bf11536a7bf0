/**
 * The worker registry end to end on a real Postgres: real workers (in process, and a real worker
 * process for WORKER_JOB_TYPES), the Workers page's DAL with its own permission checks, the quiet /
 * resume / stop commands a worker reads on its pings, and the "no live worker" warning a trigger
 * gets. Only the Auth.js session is stood in for (backed by a real session row).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { auditEvents, jobRuns, projects, users, workers } from "@/lib/db/schema";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun, type Tenant } from "../support/fixtures";

const session: { userId: string | null } = { userId: null };
vi.mock("server-only", () => ({}));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.userId ? { user: { id: session.userId }, sessionId: await (await import("../support/sessions")).liveSessionId(session.userId) } : null),
}));

const { listWorkers, commandWorker, unservedJobTypes } = await import("@/lib/dal/workers");
const { triggerProjectJob } = await import("@/lib/dal/runs");
const { getDatabase } = await import("@/lib/db/client");
const { getSendOnlyBoss } = await import("@/lib/jobs/boss");
const { jobTypesWithoutWorker } = await import("@/lib/jobs/worker-registry");

let t: TestDatabase;
let boss: PgBoss;
let tenant: Tenant;
let slug: string;
const people: Record<"owner" | "support" | "user", string> = { owner: "", support: "", user: "" };
const as = (who: keyof typeof people | "admin") => (session.userId = who === "admin" ? tenant.userId : people[who]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

const rowOf = async (workerId: string) => (await listWorkers()).rows.find((w) => w.id === workerId);

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  process.env.DATABASE_URL = t.url;
  for (const role of ["owner", "support", "user"] as const) {
    const [u] = await t.db.insert(users).values({ email: `${role}-${randomUUID()}@example.test`, name: `A ${role}`, passwordHash: "x", instanceRole: role }).returning();
    people[role] = u!.id;
  }
  tenant = await createTenant(t.db);
  const [p] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, tenant.projectId));
  slug = p!.slug;
});

afterAll(async () => {
  await (await getSendOnlyBoss(t.url)).stop({ graceful: false, close: true });
  await getDatabase().close();
  await closeTestEnv({ t, boss });
});

describe("WORKER_JOB_TYPES", () => {
  test("a name the worker does not know stops the real worker process with one clear line", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "workers/index.ts")], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url, WORKER_NAME: "typo", WORKER_JOB_TYPES: "demo_paced, contact_import" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("WORKER_JOB_TYPES names a job type this worker does not know: contact_import. Known job types: ");
    expect(output).toContain("contacts_import");
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
    // It never registered, so it never claimed anything.
    expect(await t.db.select().from(workers).where(eq(workers.name, "typo"))).toEqual([]);
  }, 60_000);

  test("a worker serves only the listed job types; the others are 'not served' and their triggers say so, yet queue", async () => {
    expect(await jobTypesWithoutWorker(t.db, ["demo_paced", "contacts_import"])).toEqual(new Set(["demo_paced", "contacts_import"]));
    const worker = await runWorker(t.url, { workerName: "demo-only", jobTypes: "demo_paced" });
    try {
      expect(worker.jobTypes).toEqual(["demo_paced"]);
      const [row] = await t.db.select().from(workers).where(eq(workers.id, worker.workerId));
      expect(row).toMatchObject({ jobTypes: ["demo_paced"], state: "live", command: null, stoppedAt: null });
      expect(await jobTypesWithoutWorker(t.db, ["demo_paced", "contacts_import", "runs_export"])).toEqual(new Set(["contacts_import", "runs_export"]));

      as("admin");
      const unserved = await unservedJobTypes(slug);
      expect(unserved.get("runs_export")).toBe("No worker is running Export run history; the run will wait");
      expect(unserved.has("demo_paced")).toBe(false);

      const waits = await triggerProjectJob(slug, "runs_export", { values: { days: 1 }, files: {} }, false);
      expect(waits).toEqual({ ok: true, runId: expect.any(String), warnings: ["No worker is running Export run history; the run will wait"] });
      const runs = await triggerProjectJob(slug, "demo_paced", { values: { items: 2, msPerItem: 10 }, files: {} }, false);
      expect(runs).toEqual({ ok: true, runId: expect.any(String), warnings: [] });
      if (!runs.ok || !waits.ok) throw new Error("unreachable");
      await waitForRun(t.db, runs.runId, (r) => r.status === "completed");
      // The export is queued and waits: this worker never claims it.
      await sleep(1500);
      const [waiting] = await t.db.select().from(jobRuns).where(eq(jobRuns.id, waits.runId));
      expect(waiting).toMatchObject({ status: "pending", attemptCount: 0 });
    } finally {
      await worker.stop();
    }
  }, 60_000);
});

describe("the Workers page's DAL", () => {
  test("owner and support see the fleet (only the owner may act); a tenant admin and a plain user get 'not found'", async () => {
    const worker = await runWorker(t.url, { workerName: "seen" });
    try {
      as("owner");
      const page = await listWorkers();
      expect(page.canAct).toBe(true);
      const row = page.rows.find((w) => w.id === worker.workerId);
      expect(row).toMatchObject({ name: "seen", state: "live", pending: null, pid: process.pid, actsWithinSeconds: 0.5 });
      expect(row!.jobTypes.map((j) => j.name)).toEqual(expect.arrayContaining(["demo_paced", "contacts_import", "runs_export"]));
      expect(row!.jobTypes.find((j) => j.name === "demo_paced")?.label).toBe("Demo: paced run");

      as("support");
      expect((await listWorkers()).canAct).toBe(false);
      await expect(commandWorker(worker.workerId, "quiet")).rejects.toMatchObject({ code: "not_found" });

      for (const who of ["user", "admin"] as const) {
        as(who);
        await expect(listWorkers()).rejects.toMatchObject({ code: "not_found" });
        await expect(commandWorker(worker.workerId, "stop")).rejects.toMatchObject({ code: "not_found" });
      }
      session.userId = null;
      await expect(listWorkers()).rejects.toMatchObject({ code: "unauthenticated" });
      // Nobody but the owner changed anything.
      const [after] = await t.db.select().from(workers).where(eq(workers.id, worker.workerId));
      expect(after).toMatchObject({ command: null, state: "live" });
      expect(await t.db.select().from(auditEvents).where(inArray(auditEvents.action, ["worker.quieted", "worker.stop_requested"]))).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  test("quiet: the worker finishes the run it holds and takes no new one (a trigger says so); resume: it takes it; stop: it drains and stops", async () => {
    const worker = await runWorker(t.url, { workerName: "obedient", jobTypes: "demo_paced" });
    try {
      const held = await trigger(t.db, boss, tenant, "demo_paced", { items: 30, msPerItem: 100 });
      if (!held.ok) throw new Error("trigger refused");
      await waitForRun(t.db, held.runId, (r) => r.status === "running");
      as("owner");
      expect((await rowOf(worker.workerId))?.heldRuns.map((r) => ({ id: r.id, projectSlug: r.projectSlug }))).toEqual([{ id: held.runId, projectSlug: slug }]);

      expect(await commandWorker(worker.workerId, "quiet")).toEqual({ ok: true, name: "obedient", actsWithinSeconds: 0.5 });
      expect(await rowOf(worker.workerId)).toMatchObject({ state: "live", pending: "quiet" });
      expect(await commandWorker(worker.workerId, "quiet")).toMatchObject({ ok: false, code: "unchanged" });
      await until("the worker to report quiet", () => rowOf(worker.workerId), (w) => w?.state === "quiet" && w.pending === null, 5_000);
      // Quiet is not "serving": a trigger now warns, and its run waits while the held one finishes.
      as("admin");
      const other = await createTenant(t.db);
      const [otherProject] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, other.projectId));
      await t.sql`insert into team_members (team_id, user_id, role) values (${other.teamId}, ${tenant.userId}, 'admin')`;
      const waiting = await triggerProjectJob(otherProject!.slug, "demo_paced", { values: { items: 2, msPerItem: 10 }, files: {} }, false);
      expect(waiting).toMatchObject({ ok: true, warnings: ["No worker is running Demo: paced run; the run will wait"] });
      if (!waiting.ok) throw new Error("unreachable");
      const done = await waitForRun(t.db, held.runId, (r) => r.status !== "running", 20_000);
      expect(done).toMatchObject({ status: "completed", attemptCount: 1, progressProcessed: 30 });
      await sleep(1000);
      expect((await t.db.select().from(jobRuns).where(eq(jobRuns.id, waiting.runId)))[0]).toMatchObject({ status: "pending" });

      as("owner");
      expect(await commandWorker(worker.workerId, "resume")).toMatchObject({ ok: true });
      await waitForRun(t.db, waiting.runId, (r) => r.status === "completed", 10_000);
      await until("the worker to report live", () => rowOf(worker.workerId), (w) => w?.state === "live", 5_000);

      const last = await trigger(t.db, boss, tenant, "demo_paced", { items: 15, msPerItem: 100 });
      if (!last.ok) throw new Error("trigger refused");
      await waitForRun(t.db, last.runId, (r) => r.status === "running");
      expect(await commandWorker(worker.workerId, "stop")).toMatchObject({ ok: true });
      expect(await commandWorker(worker.workerId, "resume")).toMatchObject({ ok: false, code: "unchanged", message: "obedient is already stopping." });
      await until("the worker to report stopping", () => rowOf(worker.workerId), (w) => w?.state === "stopping", 5_000);
      // Graceful: the run it held ends completed, then the worker is stopped (not lost).
      expect(await waitForRun(t.db, last.runId, (r) => r.status !== "running", 20_000)).toMatchObject({ status: "completed", attemptCount: 1 });
      await until("the worker to stop", () => rowOf(worker.workerId), (w) => w?.state === "stopped", 15_000);
      expect(await commandWorker(worker.workerId, "quiet")).toMatchObject({ ok: false, code: "gone" });

      const audit = await t.db
        .select({ action: auditEvents.action, actor: auditEvents.actorUserId, details: auditEvents.details })
        .from(auditEvents)
        .where(and(inArray(auditEvents.action, ["worker.quieted", "worker.resumed", "worker.stop_requested"])))
        .orderBy(auditEvents.createdAt);
      expect(audit).toEqual(
        ["worker.quieted", "worker.resumed", "worker.stop_requested"].map((action) => ({ action, actor: people.owner, details: expect.objectContaining({ workerId: worker.workerId, name: "obedient" }) })),
      );
    } finally {
      await worker.stop();
    }
  }, 90_000);

  test("a worker that stopped answering is shown lost, and cannot be told anything", async () => {
    const id = `ghost:${process.pid}:${randomUUID().slice(0, 6)}`;
    await t.db.insert(workers).values({ id, name: "ghost", host: "elsewhere", pid: 1, version: "0.1.0", jobTypes: ["demo_paced"], concurrency: 4, heartbeatSeconds: 1 });
    await t.sql`update workers set last_seen_at = now() - interval '10 seconds' where id = ${id}`;
    as("owner");
    expect(await rowOf(id)).toMatchObject({ state: "lost", pending: null });
    expect(await commandWorker(id, "stop")).toMatchObject({ ok: false, code: "gone" });
    expect(await commandWorker("no-such-worker", "stop")).toMatchObject({ ok: false, code: "not_found" });
  });
});
