import { clientOf } from "@/lib/db/client";
import { deleteOldestFinishedRuns, runStorage } from "@/lib/jobs/run-store";
import { dropMonthPartition, listMonthPartitions } from "@/lib/jobs/worker/partitions";
import { pruneRateLimits } from "@/lib/security/throttle";
import type { JobHandler } from "@/lib/jobs/define";
import type { DbPruningPayload } from "./db-pruning";

const DELETE_BATCH = 1000;
const MAX_BATCHES = 200;

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
        await dropMonthPartition(ctx.db, p);
        dropped.push(p.name);
      }
    }
    return dropped;
  });

  ctx.stage("delete_expired_runs");
  let expiredRuns = 0;
  for (let i = 0; i < MAX_BATCHES && !ctx.signal.aborted; i++) {
    const n = await deleteOldestFinishedRuns(ctx.db, DELETE_BATCH, cutoff);
    expiredRuns += n;
    ctx.progress({ processed: expiredRuns, total: null, message: `Deleted ${expiredRuns} runs older than ${retentionDays} days` });
    if (n < DELETE_BATCH) break;
  }

  let sizeRuns = 0;
  let sizeBeforeMb: number | null = null;
  if (maxDatabaseMb) {
    sizeRuns = await ctx.step("enforce_size_limit", async () => {
      const stats = await runStorage(ctx.db);
      const dbBytes = stats.databaseBytes;
      sizeBeforeMb = Math.round(dbBytes / 1024 / 1024);
      const excess = dbBytes - maxDatabaseMb * 1024 * 1024;
      const runs = stats.runs;
      if (excess <= 0 || runs === 0) return 0;
      // Deleted rows free space for reuse rather than shrinking files, so size the deletion from
      // the average footprint of a run instead of re-measuring until the file shrinks.
      const perRun = stats.runBytes / runs;
      let toDelete = Math.min(runs, Math.ceil(excess / Math.max(perRun, 1)));
      let deleted = 0;
      while (toDelete > 0 && !ctx.signal.aborted) {
        const n = await deleteOldestFinishedRuns(ctx.db, Math.min(DELETE_BATCH, toDelete), null);
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
