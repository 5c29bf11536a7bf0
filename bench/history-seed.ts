/**
 * The history benchmark's database: a persistent embedded Postgres in .data/bench-history with
 * 10 million runs across 1,000 projects of 200 teams. Seeding takes minutes, so it happens once;
 * later runs find the marker table and start in seconds.
 *
 *   node --import tsx bench/history-seed.ts        # seed (or confirm the seed) and stop
 *
 * Loading: one transaction truncates job_runs and inserts with generate_series in 1M-row chunks
 * (wal_level=minimal: a table truncated in the same transaction is not WAL-logged; FK triggers
 * off), then the indexes are rebuilt and the table vacuumed and analysed.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";
import postgres from "postgres";
import { freePort, startEmbeddedPostgres, type EmbeddedCluster } from "@/scripts/lib/embedded-pg";
import { redactJson, redactText } from "@/lib/jobs/redact";
import { migrateDatabase } from "@/scripts/lib/migrate";

export const BENCH_RUNS = Number(process.env.BENCH_HISTORY_RUNS ?? 10_000_000);
export const BENCH_TEAMS = 200;
export const PROJECTS_PER_TEAM = 5;
export const USERS_PER_TEAM = 5;
export const BENCH_PASSWORD = "bench-history-pw";
/** Team 0's first user: admin of the team whose first project holds ~10% of all runs. */
export const BENCH_ADMIN = "bench-admin@runboard.local";
export const BENCH_SUPPORT = "bench-support@runboard.local";
export const BIG_PROJECT = "bench-p0";

const DB = "runboard_history";
const CHUNK = 1_000_000;

export type HistoryBenchDb = { cluster: EmbeddedCluster; url: string };

const log = (line: string) => console.log(`[history-seed] ${line}`);

export async function startHistoryBenchDb(root: string): Promise<HistoryBenchDb> {
  const dataDir = path.join(root, ".data", "bench-history");
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const cluster = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    // Disposable data: no durability, and bulk loads skip WAL.
    settings: {
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      wal_level: "minimal",
      max_wal_senders: "0",
      max_wal_size: "8GB",
      checkpoint_timeout: "30min",
      maintenance_work_mem: "2GB",
      max_parallel_maintenance_workers: "1",
      shared_buffers: "2GB",
      effective_cache_size: "12GB",
      work_mem: "32MB",
    },
    log,
  });
  const admin = postgres(cluster.url("postgres"), { max: 1, onnotice: () => undefined });
  try {
    const [exists] = await admin`select 1 as one from pg_database where datname = ${DB}`;
    if (!exists) await admin.unsafe(`create database "${DB}"`);
  } finally {
    await admin.end();
  }
  const url = cluster.url(DB);
  await migrateDatabase(url);
  return { cluster, url };
}

/** Seed once; returns whether it seeded (false: the marker says it is already there). */
export async function seedHistory(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`create table if not exists bench_history_meta (runs bigint not null, seeded_at timestamptz not null default now())`;
    const [meta] = await sql<{ runs: string }[]>`select runs from bench_history_meta limit 1`;
    if (meta && Number(meta.runs) === BENCH_RUNS) {
      // A seed from before migration 0010: its redacted copies are its own text (nothing to mask).
      const [stale] = await sql<{ stale: boolean }[]>`select exists (select 1 from job_runs where payload_public is null) as stale`;
      if (stale?.stale) {
        await expectNothingToMask(sql);
        const t0 = performance.now();
        await sql`update job_runs set payload_public = payload, error_message_public = error_message where payload_public is null`;
        await sql`vacuum (analyze) job_runs`;
        log(`redacted columns of the existing seed filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      return false;
    }
    const started = performance.now();
    const hash = await bcrypt.hash(BENCH_PASSWORD, 10);

    // Teams, projects and users (small): team n owns projects 5n..5n+4 and users 5n..5n+4.
    log(`creating ${BENCH_TEAMS} teams, ${BENCH_TEAMS * PROJECTS_PER_TEAM} projects, ${BENCH_TEAMS * USERS_PER_TEAM} users`);
    await sql.begin(async (tx) => {
      await tx`delete from bench_history_meta`;
      await tx`truncate job_runs cascade`;
      await tx`delete from projects where slug like 'bench-p%'`;
      await tx`delete from teams where slug like 'bench-t%'`;
      await tx`delete from users where email like 'bench-%'`;
      await tx`insert into teams (slug, name) select 'bench-t' || n, 'Bench team ' || n from generate_series(0, ${BENCH_TEAMS - 1}) n`;
      await tx`
        insert into projects (team_id, slug, name)
        select t.id, 'bench-p' || (t.n * ${PROJECTS_PER_TEAM} + k), 'Bench project ' || (t.n * ${PROJECTS_PER_TEAM} + k)
        from (select id, substr(slug, 8)::int as n from teams where slug like 'bench-t%') t, generate_series(0, ${PROJECTS_PER_TEAM - 1}) k`;
      await tx`
        insert into users (email, name, password_hash)
        select case when n = 0 then ${BENCH_ADMIN} else 'bench-u' || n || '@runboard.local' end, 'Bench user ' || n, ${hash}
        from generate_series(0, ${BENCH_TEAMS * USERS_PER_TEAM - 1}) n`;
      await tx`insert into users (email, name, password_hash, instance_role) values (${BENCH_SUPPORT}, 'Bench support', ${hash}, 'support')`;
      await tx`
        insert into team_members (team_id, user_id, role, grants)
        select t.id, u.id, case when u.n % ${USERS_PER_TEAM} = 0 then 'admin' else 'member' end, '{jobs:read}'
        from (select id, substr(slug, 8)::int as n from teams where slug like 'bench-t%') t
        join (select id, case when email = ${BENCH_ADMIN} then 0 else substring(email from 'bench-u([0-9]+)@')::int end as n from users where email like 'bench-%' and instance_role = 'user') u
          on u.n / ${USERS_PER_TEAM} = t.n`;
    });

    // Rebuild every job_runs index after the load: far faster than maintaining them row by row.
    const indexes = await sql<{ indexname: string; indexdef: string }[]>`
      select i.indexname, i.indexdef from pg_indexes i
      where i.tablename = 'job_runs' and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;

    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`; // no FK triggers during the load
      await tx`truncate job_runs cascade`; // new relfilenode: the inserts below skip WAL
      for (const index of indexes) await tx.unsafe(`drop index if exists "${index.indexname}"`);
      for (let lo = 1; lo <= BENCH_RUNS; lo += CHUNK) {
        const hi = Math.min(BENCH_RUNS, lo + CHUNK - 1);
        const t0 = performance.now();
        await tx.unsafe(insertChunk(lo, hi, BENCH_RUNS));
        log(`runs ${lo.toLocaleString("en")}–${hi.toLocaleString("en")} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    });
    for (const index of indexes) {
      const t0 = performance.now();
      await sql.unsafe(index.indexdef);
      log(`index ${index.indexname} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const t0 = performance.now();
    await sql`vacuum (analyze) job_runs`;
    await sql`analyze`;
    log(`vacuum analyze in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await expectNothingToMask(sql);
    await sql`insert into bench_history_meta (runs) values (${BENCH_RUNS})`;
    log(`seeded ${BENCH_RUNS.toLocaleString("en")} runs in ${((performance.now() - started) / 60000).toFixed(1)} min`);
    return true;
  } finally {
    await sql.end();
  }
}

/** The seed stores its text as its own redacted copy: prove on a sample that the redactor agrees. */
async function expectNothingToMask(sql: postgres.Sql): Promise<void> {
  const rows = await sql<{ payload: unknown; error_message: string | null }[]>`select payload, error_message from job_runs tablesample system (0.1) limit 5000`;
  for (const r of rows) {
    if ((r.error_message !== null && redactText(r.error_message) !== r.error_message) || JSON.stringify(redactJson(r.payload)) !== JSON.stringify(r.payload)) {
      throw new Error(`The seed holds text the redactor masks: ${r.error_message ?? JSON.stringify(r.payload)}`);
    }
  }
}

/**
 * Runs lo..hi of n, in time order (the heap is ordered by queued_at, as a real history is). A
 * project is drawn with a cubic skew: bench-p0 gets ~10% of all runs, the tail a handful each.
 */
function insertChunk(lo: number, hi: number, n: number): string {
  const projects = BENCH_TEAMS * PROJECTS_PER_TEAM;
  return `
    with p as (
      select array_agg(p.id order by substr(p.slug, 8)::int) as ids, array_agg(p.team_id order by substr(p.slug, 8)::int) as teams
      from projects p where p.slug like 'bench-p%'),
    u as (
      select array_agg(id order by case when email = '${BENCH_ADMIN}' then 0 else substring(email from 'bench-u([0-9]+)@')::int end) as ids
      from users where email like 'bench-%' and instance_role = 'user'),
    x as (
      select g,
        floor(${projects} * power(random(), 3))::int as pi,
        random() as rt, random() as rs, random() as ru, random() as re, random() as rd,
        now() - (${n} - g) * (interval '365 days' / ${n}) as q
      from generate_series(${lo}, ${hi}) g),
    y as (
      select x.*,
        case when rt < 0.3 then 'contacts_import' when rt < 0.5 then 'runs_export' else 'demo_paced' end as jt,
        case when g > ${n} - 300 then (case when rs < 0.5 then 'pending' else 'running' end)
             when rs < 0.85 then 'completed' when rs < 0.93 then 'failed' when rs < 0.99 then 'cancelled' else 'dead_letter' end as st,
        gen_random_uuid() as fid
      from x),
    r as (
    select gen_random_uuid() as id, p.teams[pi + 1] as team_id, p.ids[pi + 1] as project_id, jt as job_type,
      case jt when 'contacts_import' then 'file' when 'runs_export' then 'project' end as resource_type,
      case jt when 'contacts_import' then fid when 'runs_export' then p.ids[pi + 1] end as resource_id,
      st as status,
      case when st = 'pending' then 0 when st in ('failed', 'dead_letter') then 3 else 1 end as attempt_count,
      case when jt = 'demo_paced' then 1 else 3 end as max_attempts,
      case jt when 'contacts_import' then jsonb_build_object('fileId', fid)
              when 'runs_export' then jsonb_build_object('days', 1 + floor(rd * 90)::int, 'includeErrors', rd < 0.7)
              else jsonb_build_object('items', 10 + floor(rd * 990)::int, 'msPerItem', 50 + floor(re * 500)::int) end as payload,
      case when st in ('failed', 'dead_letter') then
        case when re < 0.3 then 'Connection to smtp.mail-' || (g % 97) || '.example.com timed out after 30000 ms'
             when re < 0.55 then 'Row ' || (g % 5000) || ': invalid email address'
             when re < 0.8 then 'HTTP 503 Service Unavailable from https://api.crm-' || (g % 53) || '.example.com/v1/contacts'
             when re < 0.95 then 'Deadlock detected while upserting contact ' || (g % 100000)
             else 'The file has no email column' end end as error_message,
      case when ru < 0.9 then u.ids[(pi / ${PROJECTS_PER_TEAM}) * ${USERS_PER_TEAM} + 1 + floor(ru / 0.9 * ${USERS_PER_TEAM})::int] end as triggered_by,
      q as queued_at, q as run_at,
      case when st <> 'pending' then q + rd * interval '5 seconds' end as started_at,
      case when st not in ('pending', 'running') then q + rd * interval '5 seconds' + rd * rd * interval '10 minutes' end as completed_at,
      q as created_at, q as updated_at
    from y, p, u)
    -- The seed's messages and payloads hold nothing to mask (seedHistory checks a sample with the
    -- redactor), so their redacted copies are the same text.
    insert into job_runs (id, team_id, project_id, job_type, resource_type, resource_id, status, attempt_count, max_attempts,
                          payload, error_message, triggered_by, queued_at, run_at, started_at, completed_at, created_at, updated_at,
                          payload_public, error_message_public)
    select id, team_id, project_id, job_type, resource_type, resource_id, status, attempt_count, max_attempts,
      payload, error_message, triggered_by, queued_at, run_at, started_at, completed_at, created_at, updated_at, payload, error_message
    from r`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(import.meta.dirname, "..");
  const { cluster, url } = await startHistoryBenchDb(root);
  try {
    const seeded = await seedHistory(url);
    if (!seeded) log("already seeded; nothing to do");
  } finally {
    await cluster.stop();
  }
}
