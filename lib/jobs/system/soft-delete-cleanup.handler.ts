import { recordAudit } from "@/lib/audit";
import type { JobHandler } from "@/lib/jobs/define";
import { purgeDeletedProjects } from "@/lib/jobs/run-store";
import type { SoftDeleteCleanupPayload } from "./soft-delete-cleanup";

const BATCH = 100;

/**
 * Hard-delete projects soft-deleted longer ago than the grace period (seed 002: 7 days); their
 * runs, files and contacts go with them. Each removal is audited in its team's log, in the same
 * transaction as the delete.
 */
const softDeleteCleanup: JobHandler<SoftDeleteCleanupPayload> = async (ctx) => {
  const cutoff = new Date(Date.now() - ctx.payload.olderThanDays * 86_400_000);
  const slugs: string[] = [];
  for (;;) {
    if (ctx.signal.aborted) break;
    const rows = await ctx.db.transaction(async (tx) => {
      const purged = await purgeDeletedProjects(tx, cutoff, BATCH);
      for (const p of purged) {
        await recordAudit(tx, { action: "project.purged", actor: { userId: null, apiKeyId: null }, teamId: p.teamId, details: { slug: p.slug, name: p.name, deletedAt: p.deletedAt } });
      }
      return purged;
    });
    slugs.push(...rows.map((r) => r.slug));
    ctx.progress({ processed: slugs.length, total: null, message: `Deleted ${slugs.length} projects` });
    if (rows.length < BATCH) break;
  }
  return { cutoff: cutoff.toISOString(), deletedProjects: slugs.length, slugs: slugs.slice(0, 100) };
};

export default softDeleteCleanup;
