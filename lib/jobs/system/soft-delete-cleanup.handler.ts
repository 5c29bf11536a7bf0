import type { JobHandler } from "@/lib/jobs/define";
import { purgeDeletedProjects } from "@/lib/jobs/run-store";
import type { SoftDeleteCleanupPayload } from "./soft-delete-cleanup";

const BATCH = 100;

/**
 * Hard-delete projects soft-deleted longer ago than the grace period (seed 002: 7 days); their
 * runs, files and contacts go with them. A project with an active run waits for the next pass.
 */
const softDeleteCleanup: JobHandler<SoftDeleteCleanupPayload> = async (ctx) => {
  const cutoff = new Date(Date.now() - ctx.payload.olderThanDays * 86_400_000);
  let deleted = 0;
  for (;;) {
    if (ctx.signal.aborted) break;
    const rows = await purgeDeletedProjects(ctx.db, cutoff, BATCH);
    deleted += rows.length;
    ctx.progress({ processed: deleted, total: null, message: `Deleted ${deleted} projects` });
    if (rows.length < BATCH) break;
  }
  return { cutoff: cutoff.toISOString(), deletedProjects: deleted };
};

export default softDeleteCleanup;
