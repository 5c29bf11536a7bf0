import { and, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Db, Tx } from "@/lib/db/client";
import { jobTypeControls } from "@/lib/db/schema";

/**
 * Pause and concurrency limit controls (docs/queues.md), as the web sets them and workers read
 * them. How workers honour them: lib/jobs/worker/queue-gate.ts.
 */

export type Control = { jobType: string; projectId: string | null; paused: boolean; concurrencyLimit: number | null };

/** Every control in force (paused, or with a limit); the table holds one row per job type and scope. */
export async function loadControls(db: Db): Promise<Control[]> {
  return db
    .select({ jobType: jobTypeControls.jobType, projectId: jobTypeControls.projectId, paused: jobTypeControls.paused, concurrencyLimit: jobTypeControls.concurrencyLimit })
    .from(jobTypeControls)
    .where(or(eq(jobTypeControls.paused, true), isNotNull(jobTypeControls.concurrencyLimit)));
}

export type ControlChange = { jobType: string; projectId: string | null; paused?: boolean; concurrencyLimit?: number | null; updatedBy: string | null };

/**
 * Set a job type's pause and/or limit for a scope (fields left out keep their value); returns the
 * control before and after, for the audit trail. Workers pick it up within a second.
 */
export async function setControl(tx: Tx, change: ControlChange): Promise<{ before: Control | null; after: Control }> {
  const scope = and(eq(jobTypeControls.jobType, change.jobType), change.projectId === null ? isNull(jobTypeControls.projectId) : eq(jobTypeControls.projectId, change.projectId));
  const [before] = await tx
    .select({ jobType: jobTypeControls.jobType, projectId: jobTypeControls.projectId, paused: jobTypeControls.paused, concurrencyLimit: jobTypeControls.concurrencyLimit })
    .from(jobTypeControls)
    .where(scope)
    .for("update");
  const next = { paused: change.paused ?? before?.paused ?? false, concurrencyLimit: change.concurrencyLimit === undefined ? (before?.concurrencyLimit ?? null) : change.concurrencyLimit };
  const [after] = await tx
    .insert(jobTypeControls)
    .values({ jobType: change.jobType, projectId: change.projectId, ...next, updatedBy: change.updatedBy })
    .onConflictDoUpdate({ target: [jobTypeControls.jobType, jobTypeControls.projectId], set: { ...next, updatedBy: change.updatedBy, updatedAt: sql`now()` } })
    .returning({ jobType: jobTypeControls.jobType, projectId: jobTypeControls.projectId, paused: jobTypeControls.paused, concurrencyLimit: jobTypeControls.concurrencyLimit });
  return { before: before ?? null, after: after! };
}

