/**
 * Scaling out: three real worker processes (`workers/index.ts`, as `npm run worker` starts them)
 * drain one backlog of 300 runs on one Postgres. Mid-drain one is killed with SIGKILL and another
 * is frozen (SIGSTOP) until the others have recovered its runs, then thawed (SIGCONT): it wakes up
 * holding attempts that are no longer its own and tries to finish them. Every run must end exactly
 * once: none left behind, none completed twice (job_runs, the step history and pg-boss's jobs
 * agree), and the thawed worker's late writes change nothing.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, killHard, openTestEnv, spawnWorkerProcess, trigger } from "../support/fixtures";

const RUNS = 300;
const ITEMS = 10;
const MS_PER_ITEM = 100;

let t: TestDatabase;
let boss: PgBoss;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
});
afterAll(async () => {
  for (const child of children) {
    try {
      child.kill("SIGCONT");
    } catch {
      // already gone
    }
  }
  await Promise.all(children.map(killHard));
  await closeTestEnv({ t, boss });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 2000)}`);
    await sleep(200);
  }
}

type RunRow = { id: string; status: string; attempt_count: number; worker_id: string | null; progress_processed: number | null; completed_at: string | null; error_sub_type: string | null; result: unknown };

const runRows = () =>
  t.sql<RunRow[]>`select id, status, attempt_count, worker_id, progress_processed, completed_at::text, error->>'subType' as error_sub_type, result
    from job_runs where job_type = 'demo_paced'`;

/** Running runs per worker instance, by worker name. */
async function holding(): Promise<Map<string, { workerId: string; runIds: string[] }>> {
  const rows = await t.sql<{ name: string; worker_id: string; ids: string[] }[]>`
    select w.name, r.worker_id, array_agg(r.id::text) as ids
    from job_runs r join workers w on w.id = r.worker_id
    where r.status = 'running' group by w.name, r.worker_id`;
  return new Map(rows.map((r) => [r.name, { workerId: r.worker_id, runIds: r.ids }]));
}

test(
  "three workers, one backlog of 300 runs, one SIGKILLed and one frozen mid-drain: every run ends exactly once and the late worker's writes are refused",
  async () => {
    // Fast liveness so a lost worker is found in seconds; each holds up to 2 × 4 × 2 = 16 runs.
    const env = { HEARTBEAT_SECONDS: "1", SWEEP_INTERVAL_SECONDS: "0.5", STALE_AFTER_SECONDS: "8", WORKER_BATCH_SIZE: "4", WORKER_CONCURRENCY: "2" };
    const [a, b, c] = (["scale-a", "scale-b", "scale-c"] as const).map((name) => spawnWorkerProcess(t.url, name, env));
    children.push(a!, b!, c!);
    // All three registered before the backlog arrives, so all three take part in the drain.
    await until("three workers to register", () => t.sql`select id from workers where name like 'scale-%' and stopped_at is null`, (rows) => rows.length === 3, 120_000);

    // demo_paced allows one active run per project: a project per run, made in one statement each.
    const tenants = await t.sql<{ team_id: string; project_id: string }[]>`
      with tm as (insert into teams (slug, name) select 'scale-' || g, 'Scale ' || g from generate_series(1, ${RUNS}) g returning id, slug),
      p as (insert into projects (team_id, slug, name) select tm.id, tm.slug, tm.slug from tm returning team_id, id)
      select team_id, id as project_id from p`;
    const [user] = await t.sql<{ id: string }[]>`insert into users (email, name, password_hash) values ('scale@example.test', 'Scale', 'x') returning id`;
    expect(tenants).toHaveLength(RUNS);
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i += 25) {
      const results = await Promise.all(
        tenants.slice(i, i + 25).map((p) => trigger(t.db, boss, { teamId: p.team_id, projectId: p.project_id, userId: user!.id }, "demo_paced", { items: ITEMS, msPerItem: MS_PER_ITEM })),
      );
      for (const r of results) if (r.ok) runIds.push(r.runId);
    }
    expect(runIds).toHaveLength(RUNS);


    // Mid-drain: all three hold runs, some runs have completed, most are still to come.
    const completed = async () => (await t.sql<{ n: number }[]>`select count(*)::int as n from job_runs where status = 'completed'`)[0]!.n;
    const held = await until(
      "all three workers to hold runs after the first completions",
      async () => ({ holding: await holding(), completed: await completed() }),
      (h) => h.completed >= 20 && ["scale-a", "scale-b", "scale-c"].every((n) => (h.holding.get(n)?.runIds.length ?? 0) > 0),
      120_000,
    ).then((h) => h.holding);
    const completedBefore = await completed();
    expect(completedBefore).toBeLessThan(RUNS / 2);

    b!.kill("SIGSTOP");
    await killHard(a!);
    const killed = held.get("scale-a")!;
    const frozen = held.get("scale-b")!;

    // The survivor recovers both: the killed worker's runs and the frozen one's (it stopped
    // answering). A claim either sent just before its signal may still land: it counts too.
    await until(
      "the lost workers' runs to be recovered",
      () => t.sql`select id from job_runs where status = 'running' and worker_id in (${killed.workerId}, ${frozen.workerId})`,
      (rows) => rows.length === 0,
      60_000,
    );
    const recovered = new Map((await runRows()).filter((r) => r.worker_id === frozen.workerId).map((r) => [r.id, r]));
    expect(recovered.size).toBeGreaterThanOrEqual(frozen.runIds.length);

    // Thawed, the frozen worker wakes up holding attempts that were ended without it.
    b!.kill("SIGCONT");
    await until(
      "every run to end",
      () => t.sql`select r.id, r.status, r.worker_id, r.attempt_count, j.state as job_state from job_runs r left join pgboss.job j on j.id = r.boss_job_id and j.name = r.job_type
        where r.job_type = 'demo_paced' and r.status in ('pending', 'running') limit 20`,
      (notEnded) => notEnded.length === 0,
      180_000,
    );
    const rows = await runRows();
    // Give the thawed worker's late progress, end and step writes time to arrive.
    await sleep(3000);
    const final = new Map((await runRows()).map((r) => [r.id, r]));

    // The late worker's writes were refused: its runs are exactly as recovery ended them.
    for (const [id, row] of recovered) expect(final.get(id)).toEqual(row);
    // The frozen worker answers again, and serves the rest of the backlog with the survivor.
    const registry = await t.sql<{ id: string; lost: boolean }[]>`
      select id, last_seen_at < now() - make_interval(secs => heartbeat_seconds * 1.5) as lost from workers where id in (${killed.workerId}, ${frozen.workerId})`;
    expect(Object.fromEntries(registry.map((r) => [r.id, r.lost]))).toEqual({ [killed.workerId]: true, [frozen.workerId]: false });

    // demo_paced does not retry: an attempt lost with its worker fails (unless the worker had
    // handed its outcome to pg-boss: recovery writes that); every other run completed, once.
    for (const row of rows) {
      const r = final.get(row.id)!;
      expect(r.attempt_count).toBe(1);
      if (r.status === "completed") expect(r.progress_processed).toBe(ITEMS);
      else expect({ status: r.status, worker: [killed.workerId, frozen.workerId].includes(r.worker_id!), why: r.error_sub_type }).toEqual({ status: "failed", worker: true, why: "worker_lost" });
    }
    for (const id of killed.runIds) expect(["completed", "failed"]).toContain(final.get(id)!.status);

    // The step history: one attempt row per run, agreeing with the run; the handler started once.
    const steps = await t.sql<{ run_id: string; attempts: number; attempt_status: string[]; attempt_worker: string[]; warm_ups: number }[]>`
      select s.run_id, count(*) filter (where s.step_type = 'attempt')::int as attempts,
        array_agg(s.status) filter (where s.step_type = 'attempt') as attempt_status,
        array_agg(s.worker_id) filter (where s.step_type = 'attempt') as attempt_worker,
        count(*) filter (where s.step_type = 'warm_up')::int as warm_ups
      from job_run_steps s join job_runs r on r.id = s.run_id where r.job_type = 'demo_paced' group by s.run_id`;
    expect(steps).toHaveLength(RUNS);
    for (const s of steps) {
      const run = final.get(s.run_id)!;
      expect({ attempts: s.attempts, status: s.attempt_status, worker: s.attempt_worker }).toEqual({ attempts: 1, status: [run.status], worker: [run.worker_id] });
      expect(s.warm_ups, `run ${s.run_id}'s handler started more than once`).toBeLessThanOrEqual(1);
    }

    // pg-boss: no queue job is left active, and no run was worked by two jobs. A run may have had two
    // jobs: one fetched by a worker that died (or froze) before claiming it, settled once its run was
    // requeued with a new one (failed, or completed with no output: its claim started nothing).
    const jobs = await until(
      "pg-boss to hold no active job of these runs",
      () => t.sql<{ run_id: string; states: string[]; worked: number }[]>`
        select data->>'runId' as run_id, array_agg(state::text) as states, count(*) filter (where state = 'completed' and output is not null)::int as worked
        from pgboss.job where name = 'demo_paced' group by 1`,
      (js) => js.every((j) => !j.states.some((s) => s === "active" || s === "created" || s === "retry")),
      60_000,
    );
    expect(jobs).toHaveLength(RUNS);
    for (const j of jobs) expect(j.worked, `run ${j.run_id}: ${j.states.join(", ")}`).toBeLessThanOrEqual(1);
    const requeued = jobs.filter((j) => j.states.length > 1).length;
    expect(jobs.map((j) => j.run_id).sort()).toEqual([...runIds].sort());

    const summary = await t.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from job_runs where job_type = 'demo_paced' group by status order by status`;
    console.log(`[scale-out] ${completedBefore} completed before the kill; killed held ${killed.runIds.length}, frozen held ${frozen.runIds.length} (${recovered.size} recovered); ${requeued} fetched but never claimed, requeued; ended: ${summary.map((s) => `${s.status} ${s.n}`).join(", ")}`);
    await Promise.all([b, c].map(async (child) => {
      child!.kill("SIGTERM");
      await once(child!, "exit");
    }));
  },
  420_000,
);
