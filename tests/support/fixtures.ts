import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { files, jobRuns, projects, teamMembers, teams, users } from "@/lib/db/schema";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun, type TriggerResult } from "@/lib/jobs/enqueue";
import { startWorker, type RunningWorker, type WorkerSettings } from "@/workers/start-worker";
import { createTestDatabase, type TestDatabase } from "./db";

export type Tenant = { teamId: string; projectId: string; userId: string };

/** A team with one project and one admin, with unique names so tests never collide. */
export async function createTenant(db: Db): Promise<Tenant> {
  const tag = randomBytes(4).toString("hex");
  const [team] = await db.insert(teams).values({ slug: `team-${tag}`, name: `Team ${tag}` }).returning();
  const [project] = await db.insert(projects).values({ teamId: team!.id, slug: `project-${tag}`, name: `Project ${tag}` }).returning();
  const [user] = await db.insert(users).values({ email: `admin-${tag}@example.test`, name: `Admin ${tag}`, passwordHash: "x" }).returning();
  await db.insert(teamMembers).values({ teamId: team!.id, userId: user!.id, role: "admin" });
  return { teamId: team!.id, projectId: project!.id, userId: user!.id };
}

export type TestEnv = { t: TestDatabase; boss: PgBoss };

/** A test file's own database with a send-only pg-boss on it (as the web has). */
export async function openTestEnv(): Promise<TestEnv> {
  const t = await createTestDatabase();
  return { t, boss: await startSendOnlyBoss(t.url) };
}

/** Stop the file's worker (if any), its pg-boss and drop its database. */
export async function closeTestEnv({ t, boss }: TestEnv, worker?: RunningWorker): Promise<void> {
  await worker?.stop();
  await boss.stop({ graceful: false, close: true });
  await t.drop();
}

export async function startSendOnlyBoss(url: string): Promise<PgBoss> {
  const boss = createSendOnlyBoss(url);
  await boss.start();
  return boss;
}

export async function trigger(db: Db, boss: PgBoss, tenant: Tenant, jobType: string, payload: Record<string, unknown>, notify = false): Promise<TriggerResult> {
  const def = getJobDefinition(jobType);
  if (!def) throw new Error(`unknown job type ${jobType}`);
  return triggerRun(db, boss, { def, payload: def.payload.parse(payload) as Record<string, unknown>, teamId: tenant.teamId, projectId: tenant.projectId, triggeredBy: tenant.userId, notify });
}

export async function uploadFile(db: Db, tenant: Tenant, name: string, contentType: string, text: string): Promise<string> {
  const content = Buffer.from(text, "utf8");
  const [file] = await db.insert(files).values({ projectId: tenant.projectId, name, contentType, sizeBytes: content.length, content }).returning({ id: files.id });
  return file!.id;
}

export function runWorker(url: string, overrides: Partial<WorkerSettings> = {}): Promise<RunningWorker> {
  return startWorker({
    url,
    workerName: `test-${randomBytes(3).toString("hex")}`,
    batchSize: 4,
    concurrency: 2,
    dbPool: 10,
    heartbeatSeconds: 1,
    progressIntervalMs: 200,
    cancelPollMs: 200,
    pollSeconds: 0.5,
    shutdownGraceMs: 2000,
    staleAfterSeconds: 3,
    sweepIntervalSeconds: 0.5,
    ...overrides,
  });
}

type Run = typeof jobRuns.$inferSelect;

/** Poll the run row until `done` holds; fails the test with the last row seen on timeout. */
export async function waitForRun(db: Db, runId: string, done: (run: Run) => boolean, timeoutMs = 15_000): Promise<Run> {
  const until = Date.now() + timeoutMs;
  let last: Run | undefined;
  while (Date.now() < until) {
    [last] = await db.select().from(jobRuns).where(eq(jobRuns.id, runId));
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not reach the expected state; last seen: ${JSON.stringify(last && { status: last.status, attempt: last.attemptCount, error: last.errorMessage })}`);
}

/**
 * The real worker entry point as its own process, as `npm start` runs it: fast heartbeats, and a
 * sweep that stays out of the way unless `env` says otherwise.
 */
export function spawnWorkerProcess(url: string, workerName: string, env: Record<string, string> = {}): ChildProcess {
  const root = path.resolve(import.meta.dirname, "../..");
  return spawn(process.execPath, ["--import", "tsx", path.join(root, "workers/index.ts")], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      WORKER_NAME: workerName,
      HEARTBEAT_SECONDS: "1",
      STALE_AFTER_SECONDS: "60",
      SWEEP_INTERVAL_SECONDS: "60",
      PROGRESS_INTERVAL_MS: "100",
      WORKER_POLL_SECONDS: "0.5",
      ...env,
    },
    stdio: "ignore",
  });
}

/** SIGKILL, and wait until the process is gone (reaped), as a restarted worker would find it. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
