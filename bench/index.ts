/**
 * `npm run bench`: worker throughput and latency on a real embedded Postgres, each figure reported
 * against a baseline measured in the same run (these machines are noisy):
 *   1. throughput of no-op runs through the full tracked lifecycle / raw pg-boss, same settings;
 *   2. pickup latency, trigger → running (p50, p95); and for bursts of short runs, with long runs
 *      in flight against none;
 *   3. progress writes per run per second while a handler reports thousands of times.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { inArray, sql } from "drizzle-orm";
import postgres from "postgres";
import { fromDrizzle, PgBoss } from "pg-boss";
import { createDatabase } from "@/lib/db/client";
import { jobRuns, projects, teams } from "@/lib/db/schema";
import { BOSS_SCHEMA } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { redactJson } from "@/lib/jobs/redact";
import type { HandlerMap } from "@/workers/runner";
import { startWorker, type WorkerSettings } from "@/workers/start-worker";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";

const N = Number(process.env.BENCH_JOBS ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const CONCURRENCY = 2;
const root = path.resolve(import.meta.dirname, "..");

const settings = (url: string, handlers: HandlerMap = {}): WorkerSettings => ({
  url,
  workerName: "bench",
  batchSize: BATCH,
  concurrency: CONCURRENCY,
  dbPool: 10,
  heartbeatSeconds: 30,
  progressIntervalMs: 1000,
  cancelPollMs: 1000,
  pollSeconds: 2,
  shutdownGraceMs: 5000,
  staleAfterSeconds: 120,
  sweepIntervalSeconds: 30,
  handlers,
});

async function until(check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}

/** Raw pg-boss: N jobs, a no-op handler, the same batch/concurrency/notify settings. */
async function rawThroughput(url: string): Promise<number> {
  const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, useListenNotify: true });
  await boss.start();
  await boss.createQueue("bench_raw", { retryLimit: 0, notify: true });
  let done = 0;
  await boss.work("bench_raw", { batchSize: BATCH, localConcurrency: CONCURRENCY, perJobResults: true, burstWhenBatchFull: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 }, async (jobs) => {
    done += jobs.length;
    return jobs.map((j) => ({ id: j.id, status: "completed" as const }));
  });
  // The backlog arrives at once (one statement) while the worker is idle and listening.
  await boss.insert("bench_raw", Array.from({ length: N }, () => ({ data: { runId: randomUUID() } })));
  const t0 = performance.now();
  // Done when pg-boss has recorded every job as completed, as the tracked side waits for its run
  // rows: a probe of pg-boss's index on unfinished jobs, polled like the tracked side's.
  const probe = postgres(url, { max: 1, onnotice: () => undefined });
  await until(async () => {
    const [row] = await probe<{ active: boolean }[]>`select exists (select 1 from pgboss.job where name = 'bench_raw' and state < 'completed') as active`;
    return done >= N && row?.active === false;
  });
  const seconds = (performance.now() - t0) / 1000;
  const [check] = await probe<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'bench_raw' and state = 'completed'`;
  await probe.end();
  if (check?.n !== N) throw new Error(`expected ${N} completed jobs, found ${check?.n}`);
  await boss.stop({ graceful: true, close: true });
  return N / seconds;
}

/** Tracked: N runs (rows and queue jobs), the real runner and its bookkeeping, a no-op handler. */
async function trackedThroughput(url: string): Promise<number> {
  const database = createDatabase(url, { max: 4 });
  const [team] = await database.db.insert(teams).values({ slug: `bench-${randomUUID().slice(0, 8)}`, name: "Bench" }).returning();
  const [project] = await database.db.insert(projects).values({ teamId: team!.id, slug: `bench-${randomUUID().slice(0, 8)}`, name: "Bench" }).returning();
  const runs = Array.from({ length: N }, () => ({ id: randomUUID(), bossJobId: randomUUID() }));
  const boss = createSendOnlyBoss(url);
  await boss.start();
  const worker = await startWorker(settings(url, { demo_paced: async () => ({}) }));
  // The backlog (run rows and their queue jobs) arrives in one transaction while the worker idles.
  // Rows as triggerRun writes them, with the payload's redacted copy (a row without one is a
  // pre-0010 row, which the redaction backfill and its partial index exist for).
  const payload = { items: 1, msPerItem: 10 };
  await database.db.transaction(async (tx) => {
    for (let i = 0; i < N; i += 500) {
      const slice = runs.slice(i, i + 500);
      await tx
        .insert(jobRuns)
        .values(slice.map((r) => ({ id: r.id, teamId: team!.id, projectId: project!.id, jobType: "demo_paced", maxAttempts: 1, payload, payloadPublic: redactJson(payload) as Record<string, unknown>, bossJobId: r.bossJobId })));
    }
    await boss.insert("demo_paced", runs.map((r) => ({ id: r.bossJobId, data: { runId: r.id } })), { db: fromDrizzle(tx, sql) });
  });
  await boss.stop({ graceful: false, close: true });
  const t0 = performance.now();
  // Done when no run is left pending or running: a probe of the small partial index of active runs.
  await until(async () => {
    const [row] = await database.db.execute<{ active: boolean }>(sql`select exists (select 1 from job_runs where status in ('pending', 'running') and project_id = ${project!.id}) as active`);
    return row?.active === false;
  });
  const [check] = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from job_runs where project_id = ${project!.id} and status = 'completed'`);
  if (check?.n !== N) throw new Error(`expected ${N} completed runs, found ${check?.n}`);
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  await database.close();
  return N / seconds;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Trigger → running, from the database's own clock: queued_at and started_at. */
async function pickupLatency(url: string): Promise<{ p50: number; p95: number; samples: number }> {
  const database = createDatabase(url, { max: 4 });
  const boss = createSendOnlyBoss(url);
  await boss.start();
  const worker = await startWorker(settings(url, { demo_paced: async () => ({}) }));
  const [team] = await database.db.insert(teams).values({ slug: `lat-${randomUUID().slice(0, 8)}`, name: "Latency" }).returning();
  const [project] = await database.db.insert(projects).values({ teamId: team!.id, slug: `lat-${randomUUID().slice(0, 8)}`, name: "Latency" }).returning();
  const def = getJobDefinition("demo_paced")!;
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const result = await triggerRun(database.db, boss, { def, payload: { items: 1, msPerItem: 10 }, teamId: team!.id, projectId: project!.id, triggeredBy: null, notify: false });
    if (!result.ok) throw new Error("overlap in bench");
    let row: { queued: Date; started: Date | null; status: string } | undefined;
    await until(async () => {
      [row] = await database.db.select({ queued: jobRuns.queuedAt, started: jobRuns.startedAt, status: jobRuns.status }).from(jobRuns).where(sql`${jobRuns.id} = ${result.runId}`);
      return row?.status === "completed";
    });
    if (i >= 10) latencies.push(row!.started!.getTime() - row!.queued.getTime()); // warm-up excluded
    await new Promise((r) => setTimeout(r, 20));
  }
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await database.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), samples: latencies.length };
}

const LONG_RUNS = 8;
const SHORT_BURST = 50;
const LONG_RUN_MS = 5000;

/**
 * Pickup of a burst of SHORT_BURST short runs, triggered one after another: first with nothing else
 * running (the baseline), then while LONG_RUNS long runs (LONG_RUN_MS each) hold part of the
 * worker's capacity (batch × concurrency in its fetch loops, as much again detached). Each run has a project of its own (demo_paced allows one active run per project).
 */
async function pickupWithLongRuns(url: string): Promise<{ idle: { p50: number; p95: number }; busy: { p50: number; p95: number } }> {
  const database = createDatabase(url, { max: 4 });
  const boss = createSendOnlyBoss(url);
  await boss.start();
  const worker = await startWorker(
    settings(url, {
      demo_paced: async (ctx) => {
        if (ctx.payload.msPerItem === LONG_RUN_MS) await new Promise((r) => setTimeout(r, LONG_RUN_MS));
        return {};
      },
    }),
  );
  const [team] = await database.db.insert(teams).values({ slug: `burst-${randomUUID().slice(0, 8)}`, name: "Burst" }).returning();
  const newProjects = (n: number) =>
    database.db
      .insert(projects)
      .values(Array.from({ length: n }, (_, i) => ({ teamId: team!.id, slug: `burst-${randomUUID().slice(0, 8)}-${i}`, name: `Burst ${i}` })))
      .returning({ id: projects.id });
  const def = getJobDefinition("demo_paced")!;
  const triggerAll = async (projectIds: { id: string }[], msPerItem: number) => {
    const ids: string[] = [];
    for (const project of projectIds) {
      const result = await triggerRun(database.db, boss, { def, payload: { items: 1, msPerItem }, teamId: team!.id, projectId: project.id, triggeredBy: null, notify: false });
      if (!result.ok) throw new Error("overlap in bench");
      ids.push(result.runId);
    }
    return ids;
  };
  const rowsOf = (ids: string[]) => database.db.select({ queued: jobRuns.queuedAt, started: jobRuns.startedAt, status: jobRuns.status }).from(jobRuns).where(inArray(jobRuns.id, ids));
  const allStarted = (ids: string[]) => async () => (await rowsOf(ids)).every((r) => r.started !== null);
  const pickups = async (ids: string[]) => {
    const sorted = (await rowsOf(ids)).map((r) => r.started!.getTime() - r.queued.getTime()).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  };
  // Warm-up, then the baseline burst.
  await until(allStarted(await triggerAll(await newProjects(5), 10)));
  const idleIds = await triggerAll(await newProjects(SHORT_BURST), 10);
  await until(allStarted(idleIds));
  // The long runs arrive, and the burst 200 ms after them: a worker with free slots starts it at
  // once, whatever its long runs are doing.
  const longIds = await triggerAll(await newProjects(LONG_RUNS), LONG_RUN_MS);
  await new Promise((r) => setTimeout(r, 200));
  const longRunning = (await rowsOf(longIds)).filter((r) => r.status === "running").length;
  const busyIds = await triggerAll(await newProjects(SHORT_BURST), 10);
  await until(allStarted(busyIds));
  if (longRunning !== LONG_RUNS) console.log(`  (${longRunning} of the ${LONG_RUNS} long runs had started when the burst began)`);
  const result = { idle: await pickups(idleIds), busy: await pickups(busyIds) };
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await database.close();
  return result;
}

/** A handler that reports progress 20,000 times over ~3 s: how many writes reach the row? */
async function progressCoalescing(url: string): Promise<{ reports: number; writes: number; seconds: number }> {
  const database = createDatabase(url, { max: 4 });
  const boss = createSendOnlyBoss(url);
  await boss.start();
  let reports = 0;
  const worker = await startWorker(
    settings(url, {
      demo_paced: async (ctx) => {
        const total = 20_000;
        for (let i = 1; i <= total; i++) {
          ctx.progress({ processed: i, total, message: `item ${i}` });
          reports++;
          if (i % 100 === 0) await new Promise((r) => setTimeout(r, 15));
        }
        return {};
      },
    }),
  );
  const [team] = await database.db.insert(teams).values({ slug: `prog-${randomUUID().slice(0, 8)}`, name: "Progress" }).returning();
  const [project] = await database.db.insert(projects).values({ teamId: team!.id, slug: `prog-${randomUUID().slice(0, 8)}`, name: "Progress" }).returning();
  const updates = async () => {
    const [row] = await database.db.execute<{ n: string }>(sql`select n_tup_upd::text as n from pg_stat_user_tables where relname = 'job_runs'`);
    return Number(row?.n ?? 0);
  };
  const before = await updates();
  const result = await triggerRun(database.db, boss, { def: getJobDefinition("demo_paced")!, payload: { items: 1, msPerItem: 10 }, teamId: team!.id, projectId: project!.id, triggeredBy: null, notify: false });
  if (!result.ok) throw new Error("overlap");
  let seconds = 0;
  await until(async () => {
    const [row] = await database.db.select({ status: jobRuns.status, s: jobRuns.startedAt, c: jobRuns.completedAt }).from(jobRuns).where(sql`${jobRuns.id} = ${result.runId}`);
    if (row?.status === "completed") seconds = (row.c!.getTime() - row.s!.getTime()) / 1000;
    return row?.status === "completed";
  });
  // Backends report statistics up to a second or so late: read until the count holds still.
  let after = await updates();
  for (let settled = 0; settled < 2; ) {
    await new Promise((r) => setTimeout(r, 800));
    const now = await updates();
    settled = now === after ? settled + 1 : 0;
    after = now;
  }
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await database.close();
  // Minus the two lifecycle updates (start, finish): what is left are progress and heartbeat writes.
  const writes = after - before - 2;
  return { reports, writes, seconds };
}

const cluster = await startTestCluster(root, "bench");
try {
  const fresh = (name: string) => createDatabaseFromTemplate(cluster.url("postgres"), `rb_bench_${name}_${Date.now()}`);
  const withAdmin = async <T>(fn: (admin: postgres.Sql) => Promise<T>): Promise<T> => {
    const admin = postgres(cluster.url("postgres"), { max: 1, onnotice: () => undefined });
    try {
      return await fn(admin);
    } finally {
      await admin.end();
    }
  };
  const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
  console.log(`Throughput: ${N} no-op jobs, batch ${BATCH}, concurrency ${CONCURRENCY}, LISTEN/NOTIFY on; ${rounds} tracked rounds, each between two raw ones; medians`);
  // Each measurement gets a fresh database, starts after a checkpoint, and its database is dropped
  // after, so no round pays for an earlier one's autovacuum or dirty buffers.
  const measure = async (name: string, fn: (url: string) => Promise<number>) => {
    const url = await fresh(name);
    await withAdmin((admin) => admin`checkpoint`);
    const rate = await fn(url);
    await withAdmin((admin) => admin.unsafe(`drop database "${new URL(url).pathname.slice(1)}" with (force)`));
    return rate;
  };
  // This machine's speed drifts over seconds: each tracked round is compared with the raw rounds
  // just before and after it (their geometric mean), which cancels a steady drift.
  const raws = [await measure("raw0", rawThroughput)];
  const trackeds: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const tracked = await measure(`tracked${round}`, trackedThroughput);
    const raw = await measure(`raw${round + 1}`, rawThroughput);
    const baseline = Math.sqrt(raws.at(-1)! * raw);
    raws.push(raw);
    trackeds.push(tracked);
    ratios.push(tracked / baseline);
    console.log(`  round ${round + 1}: tracked ${tracked.toFixed(0)} runs/s, raw around it ${baseline.toFixed(0)} jobs/s, ratio ${(tracked / baseline).toFixed(2)}x`);
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  console.log(`  raw pg-boss        ${median(raws).toFixed(0)} jobs/s`);
  console.log(`  tracked lifecycle  ${median(trackeds).toFixed(0)} runs/s`);
  console.log(`  ratio tracked/raw  ${median(ratios).toFixed(2)}x   (median of rounds, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x; target >= 0.5x)`);
  const latency = await pickupLatency(await fresh("latency"));
  console.log(`Pickup latency, trigger -> running (${latency.samples} runs): p50 ${latency.p50} ms, p95 ${latency.p95} ms   (target p50 <= 10, p95 <= 25)`);
  const burst = await pickupWithLongRuns(await fresh("burst"));
  console.log(
    `Pickup of ${SHORT_BURST} short runs triggered in a row: alone p50 ${burst.idle.p50} ms, p95 ${burst.idle.p95} ms; with ${LONG_RUNS} long runs in flight p50 ${burst.busy.p50} ms, p95 ${burst.busy.p95} ms (${(burst.busy.p95 / Math.max(1, burst.idle.p95)).toFixed(1)}x; target p95 <= 25)`,
  );
  const progress = await progressCoalescing(await fresh("progress"));
  console.log(
    `Progress coalescing: ${progress.reports} reports over ${progress.seconds.toFixed(1)} s -> ${progress.writes} row writes (${(progress.writes / progress.seconds).toFixed(2)} per second; target <= ~1)`,
  );
} finally {
  await cluster.stop();
}
process.exit(0);
