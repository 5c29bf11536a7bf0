import { sql } from "drizzle-orm";
import { clientOf } from "@/lib/db/client";
import { listMonthPartitions } from "@/lib/jobs/worker/partitions";
import { pruneRateLimits } from "@/lib/security/throttle";
import type { JobHandler } from "@/lib/jobs/define";
import type { DbPruningPayload } from "./db-pruning";

const DELETE_BATCH = 1000;
const MAX_BATCHES = 200;

/** Delete up to `limit` finished runs, oldest first, optionally only those finished before `before`. */
async function deleteOldestFinished(db: Parameters<JobHandler<DbPruningPayload>>[0]["db"], limit: number, before: Date | null): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    with victims as (
      select id from job_runs
      where status in ('completed', 'failed', 'cancelled', 'dead_letter')
        and completed_at is not null
        ${before ? sql`and completed_at < ${before.toISOString()}` : sql``}
      order by completed_at
      limit ${limit}
      for update skip locked
    ), gone as (delete from job_runs where id in (select id from victims) returning 1)
    select count(*)::int as n from gone`);
  return rows[0]?.n ?? 0;
}

/**
 * Retention (seed 002): drop step-history months wholly older than the retention age, delete
 * finished runs past it, and while the database is over its size limit delete the oldest finished
 * runs. Running and pending runs are never touched. Also deletes rate-limit buckets that have
 * refilled (a full bucket is the same as no row), in bounded batches.
 */
const dbPruning: JobHandler<DbPruningPayload> = async (ctx) => {
  const { retentionDays } = ctx.payload;
  const maxDatabaseMb = ctx.payload.maxDatabaseMb ?? (process.env.DB_MAX_SIZE_MB ? Number(process.env.DB_MAX_SIZE_MB) : undefined);
  const cutoff = new Date(Date.now() - retentionDays * 86_400_000);

  const droppedPartitions = await ctx.step("drop_old_partitions", async () => {
    const dropped: string[] = [];
    for (const p of await listMonthPartitions(ctx.db)) {
      if (p.to.getTime() <= cutoff.getTime()) {
        await ctx.db.execute(sql.raw(`drop table if exists "${p.name}"`));
        dropped.push(p.name);
      }
    }
    return dropped;
  });

  ctx.stage("delete_expired_runs");
  let expiredRuns = 0;
  for (let i = 0; i < MAX_BATCHES && !ctx.signal.aborted; i++) {
    const n = await deleteOldestFinished(ctx.db, DELETE_BATCH, cutoff);
    expiredRuns += n;
    ctx.progress({ processed: expiredRuns, total: null, message: `Deleted ${expiredRuns} runs older than ${retentionDays} days` });
    if (n < DELETE_BATCH) break;
  }

  let sizeRuns = 0;
  let sizeBeforeMb: number | null = null;
  if (maxDatabaseMb) {
    sizeRuns = await ctx.step("enforce_size_limit", async () => {
      const [stats] = await ctx.db.execute<{ db_bytes: string; run_bytes: string; runs: string }>(sql`
        select pg_database_size(current_database())::text as db_bytes,
               (pg_total_relation_size('job_runs') + pg_total_relation_size('job_run_steps') + pg_total_relation_size('job_run_calls'))::text as run_bytes,
               (select count(*) from job_runs)::text as runs`);
      const dbBytes = Number(stats?.db_bytes ?? 0);
      sizeBeforeMb = Math.round(dbBytes / 1024 / 1024);
      const excess = dbBytes - maxDatabaseMb * 1024 * 1024;
      const runs = Number(stats?.runs ?? 0);
      if (excess <= 0 || runs === 0) return 0;
      // Deleted rows free space for reuse rather than shrinking files, so size the deletion from
      // the average footprint of a run instead of re-measuring until the file shrinks.
      const perRun = Number(stats?.run_bytes ?? 0) / runs;
      let toDelete = Math.min(runs, Math.ceil(excess / Math.max(perRun, 1)));
      let deleted = 0;
      while (toDelete > 0 && !ctx.signal.aborted) {
        const n = await deleteOldestFinished(ctx.db, Math.min(DELETE_BATCH, toDelete), null);
        if (n === 0) break;
        deleted += n;
        toDelete -= n;
      }
      return deleted;
    });
  }
  ctx.stage("delete_refilled_rate_limits");
  let rateLimitRows = 0;
  for (let i = 0; i < MAX_BATCHES && !ctx.signal.aborted; i++) {
    const n = await pruneRateLimits(clientOf(ctx.db), DELETE_BATCH);
    rateLimitRows += n;
    if (n < DELETE_BATCH) break;
  }

  return { cutoff: cutoff.toISOString(), droppedPartitions, expiredRuns, rateLimitRows, sizeLimitMb: maxDatabaseMb ?? null, sizeBeforeMb, runsDeletedForSize: sizeRuns };
};

export default dbPruning;
