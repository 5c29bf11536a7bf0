/**
 * The web's operations routes on a real database: readiness (migrations behind -> 503, database
 * down -> 503), and /api/metrics (off without METRICS_TOKEN, 401 without the right bearer, the
 * instance gauges from real runs, counts bounded however large the backlog).
 */
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { QUEUE_COUNT_CAP } from "@/lib/dal/metrics";
import { freePort } from "@/scripts/lib/embedded-pg";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { closeTestEnv, createTenant, openTestEnv, runWorker, trigger, waitForRun } from "../support/fixtures";

vi.mock("server-only", () => ({}));
// next-auth cannot load outside Next; these routes read no session (the DAL's access module imports it).
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({ auth: async () => null }));

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  process.env.DATABASE_URL = t.url;
});
afterAll(() => closeTestEnv({ t, boss }));

const ready = async () => {
  const { GET } = await import("@/app/api/health/ready/route");
  const response = await GET();
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const scrape = async (authorization?: string) => {
  const { GET } = await import("@/app/api/metrics/route");
  const response = await GET(new Request("http://runboard.test/api/metrics", { headers: authorization ? { authorization } : {} }));
  return { status: response.status, body: await response.text(), headers: response.headers };
};

function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe("readiness", () => {
  test("ready when the database answers and has every committed migration; 503 with the reason when one is missing", async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: "ready", database: "up", migrations: "current" } });
    // Roll the record of the newest migration back, as on a database this version was not migrated on.
    const [newest] = await t.sql<{ id: number; hash: string; created_at: string }[]>`
      delete from drizzle.__drizzle_migrations where id = (select id from drizzle.__drizzle_migrations order by created_at desc limit 1) returning id, hash, created_at`;
    try {
      const behind = await ready();
      expect(behind.status).toBe(503);
      expect(behind.body).toMatchObject({ status: "not_ready", reason: "migrations_pending", pending: 1 });
      expect(behind.body.message).toContain("npm run db:migrate");
    } finally {
      await t.sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${newest!.id}, ${newest!.hash}, ${newest!.created_at})`;
    }
    expect((await ready()).status).toBe(200);
  });

  test("a database never migrated is not ready", async () => {
    await t.sql`alter table drizzle.__drizzle_migrations rename to __drizzle_migrations_away`;
    try {
      const fresh = await ready();
      expect(fresh.status).toBe(503);
      expect(fresh.body).toMatchObject({ reason: "migrations_pending" });
      expect(fresh.body.pending).toBeGreaterThan(10);
    } finally {
      await t.sql`alter table drizzle.__drizzle_migrations_away rename to __drizzle_migrations`;
    }
  });

  test("an unreachable database answers 503 database_unreachable, and liveness stays 200 (it asks nothing of Postgres)", async () => {
    const url = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`;
    try {
      const down = await ready();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: "not_ready", reason: "database_unreachable" });
      const { GET } = await import("@/app/api/health/live/route");
      expect(GET().status).toBe(200);
    } finally {
      process.env.DATABASE_URL = url;
    }
  });
});

describe("/api/metrics", () => {
  const TOKEN = "metrics-token-for-tests-0123456789";
  afterAll(() => {
    delete process.env.METRICS_TOKEN;
  });

  test("is off (404) without METRICS_TOKEN, and 401 without the right bearer token once set", async () => {
    delete process.env.METRICS_TOKEN;
    expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(404);
    process.env.METRICS_TOKEN = TOKEN;
    for (const authorization of [undefined, "Bearer", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const denied = await scrape(authorization);
      expect(denied.status, String(authorization)).toBe(401);
      expect(denied.headers.get("www-authenticate")).toContain("Bearer");
      expect(denied.body).not.toContain("runboard_");
    }
    expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(200);
  });

  test("queue depth, oldest pending age and live workers come from the database at scrape time", async () => {
    process.env.METRICS_TOKEN = TOKEN;
    const tenants = [await createTenant(t.db), await createTenant(t.db)];
    for (const tenant of tenants) {
      const result = await trigger(t.db, boss, tenant, "runs_export", { days: 1 });
      if (!result.ok) throw new Error("refused");
    }
    // One of them queued a minute ago.
    await t.sql`update job_runs set queued_at = now() - interval '60 seconds' where id = (select id from job_runs where job_type = 'runs_export' and status = 'pending' limit 1)`;
    const idle = await scrape(`Bearer ${TOKEN}`);
    expect(idle.status).toBe(200);
    expect(idle.headers.get("content-type")).toContain("text/plain");
    expect(sample(idle.body, 'runboard_queue_pending_runs{job_type="runs_export"}')).toBe(2);
    expect(sample(idle.body, 'runboard_queue_pending_runs{job_type="contacts_import"}')).toBe(0);
    expect(sample(idle.body, 'runboard_queue_oldest_pending_age_seconds{job_type="runs_export"}')).toBeGreaterThanOrEqual(60);
    expect(sample(idle.body, 'runboard_queue_oldest_pending_age_seconds{job_type="contacts_import"}')).toBe(0);
    expect(sample(idle.body, "runboard_workers_live")).toBe(0);
    // The web process's own metrics ride along.
    expect(idle.body).toContain("# TYPE runboard_web_run_poll_duration_seconds histogram");

    let worker: RunningWorker | null = await runWorker(t.url);
    try {
      const runs = await t.sql<{ id: string }[]>`select id from job_runs where job_type = 'runs_export'`;
      for (const run of runs) await waitForRun(t.db, run.id, (r) => r.status === "completed");
      const busy = await scrape(`Bearer ${TOKEN}`);
      expect(sample(busy.body, 'runboard_queue_pending_runs{job_type="runs_export"}')).toBe(0);
      expect(sample(busy.body, "runboard_workers_live")).toBe(1);
      await worker.stop();
      worker = null;
      expect(sample((await scrape(`Bearer ${TOKEN}`)).body, "runboard_workers_live")).toBe(0);
    } finally {
      await worker?.stop();
    }
  });

  test("counts stop at the cap: a backlog larger than it is scraped in bounded reads", async () => {
    process.env.METRICS_TOKEN = TOKEN;
    const tenant = await createTenant(t.db);
    // A backlog of demo runs no worker serves here (no exclusive key: each stands alone).
    await t.sql`
      insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, payload, payload_public, queued_at)
      select gen_random_uuid(), ${tenant.teamId}, ${tenant.projectId}, 'demo_paced', 'pending', 1, '{}'::jsonb, '{}'::jsonb, now() - make_interval(secs => g)
      from generate_series(1, ${QUEUE_COUNT_CAP + 500}) g`;
    const capped = await scrape(`Bearer ${TOKEN}`);
    expect(sample(capped.body, 'runboard_queue_pending_runs{job_type="demo_paced"}')).toBe(QUEUE_COUNT_CAP);
    // The oldest one is still found exactly (one index probe).
    expect(sample(capped.body, 'runboard_queue_oldest_pending_age_seconds{job_type="demo_paced"}')).toBeGreaterThanOrEqual(QUEUE_COUNT_CAP + 500);
  });
});
