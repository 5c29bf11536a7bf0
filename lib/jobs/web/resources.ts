import { and, eq, lt, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/lib/db/client";
import { jobRuns, type RunStatus } from "@/lib/db/schema";

export type ResourceRun = {
  id: string;
  jobType: string;
  status: RunStatus;
  attemptCount: number;
  projectId: string | null;
  errorMessage: string | null;
  /** The message redacted for tenants when it was written (null on older rows). */
  errorMessagePublic: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
};

/**
 * Every run that worked on one business resource (seed 003's resource linkage), newest first and
 * bounded. The filter and order match job_runs_resource_idx, so this is an index range scan. No
 * permission check here: the web reaches it only through lib/dal.
 */
export async function listRunsForResource(
  db: DbOrTx,
  resourceType: string,
  resourceId: string,
  limit = 50,
  /** Only this project's runs, and (keyset) only runs after the last one of the previous page. */
  scope: { projectId?: string; after?: { queuedAt: Date; id: string } } = {},
): Promise<ResourceRun[]> {
  const { projectId, after } = scope;
  return db
    .select({
      id: jobRuns.id,
      jobType: jobRuns.jobType,
      status: jobRuns.status,
      attemptCount: jobRuns.attemptCount,
      projectId: jobRuns.projectId,
      errorMessage: jobRuns.errorMessage,
      errorMessagePublic: jobRuns.errorMessagePublic,
      queuedAt: jobRuns.queuedAt,
      startedAt: jobRuns.startedAt,
      completedAt: jobRuns.completedAt,
    })
    .from(jobRuns)
    .where(
      and(
        eq(jobRuns.resourceType, resourceType),
        eq(jobRuns.resourceId, resourceId),
        projectId ? eq(jobRuns.projectId, projectId) : undefined,
        after ? or(lt(jobRuns.queuedAt, after.queuedAt), and(eq(jobRuns.queuedAt, after.queuedAt), lt(jobRuns.id, after.id))) : undefined,
      ),
    )
    .orderBy(sql`${jobRuns.queuedAt} desc nulls last`, sql`${jobRuns.id} desc nulls last`)
    .limit(Number.isFinite(limit) ? Math.min(500, Math.max(1, Math.floor(limit))) : 50);
}
