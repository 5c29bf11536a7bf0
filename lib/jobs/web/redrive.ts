import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, jobRunSteps } from "@/lib/db/schema";
import { DEAD_LETTER_QUEUE } from "../boss";
import { getJobDefinition, maxAttempts } from "../catalog";
import { exclusiveKeyFor, findActiveRun, overlapRefusal, sendAttempt } from "../enqueue";
import { postgresError } from "../errors";
import { canTransition } from "../lifecycle";

export type RedriveOutcome =
  | { ok: true }
  | { ok: false; code: "not_found" | "not_redrivable" }
  /** The type's overlap rule refuses it while another run holds the slot; `message` says which rule. */
  | { ok: false; code: "already_active"; existingRunId?: string; message: string };

/**
 * Re-drive a dead-lettered (or failed) run: back to pending with a fresh set of attempts and a new
 * queue job, its dead-letter copy consumed, all in one transaction. Its overlap slot is worked out
 * from the type's rule as it is now (a type may have moved from "project" to "resource"), and the
 * re-drive is refused while another run holds that slot.
 */
export async function redriveRun(db: Db, boss: PgBoss, runId: string, userId: string | null): Promise<RedriveOutcome> {
  try {
    return await redriveInTx(db, boss, runId, userId);
  } catch (error) {
    // A trigger took the overlap slot between our check and our update.
    if (postgresError(error)?.code === "23505") return { ok: false, code: "already_active", message: "Another run took this run's overlap slot just now; re-drive it when that one ends." };
    throw error;
  }
}

async function redriveInTx(db: Db, boss: PgBoss, runId: string, userId: string | null): Promise<RedriveOutcome> {
  return db.transaction(async (tx) => {
    const [run] = await tx
      .select({ status: jobRuns.status, jobType: jobRuns.jobType, attempts: jobRuns.attemptCount, projectId: jobRuns.projectId, resourceType: jobRuns.resourceType, resourceId: jobRuns.resourceId })
      .from(jobRuns)
      .where(eq(jobRuns.id, runId))
      .for("update");
    if (!run) return { ok: false, code: "not_found" };
    const def = getJobDefinition(run.jobType);
    if (!def || !canTransition(run.status, "pending")) return { ok: false, code: "not_redrivable" };
    const resource = run.resourceType && run.resourceId ? { type: run.resourceType, id: run.resourceId } : null;
    const exclusiveKey = exclusiveKeyFor(def, run.projectId, resource);
    if (exclusiveKey) {
      const existingRunId = await findActiveRun(tx, exclusiveKey);
      if (existingRunId) return { ...overlapRefusal(def, run.projectId, resource, existingRunId), existingRunId };
    }
    const bossJobId = randomUUID();
    await tx
      .update(jobRuns)
      .set({ status: "pending", maxAttempts: run.attempts + maxAttempts(def), runAt: sql`now()`, completedAt: null, bossJobId, exclusiveKey, cancelRequestedAt: null, updatedAt: sql`now()` })
      .where(eq(jobRuns.id, runId));
    await tx.insert(jobRunSteps).values({ runId, stepType: "redrive", status: "completed", attemptNumber: run.attempts, workerId: userId ? `user:${userId}` : null });
    await sendAttempt(boss, tx, def.name, runId, bossJobId);
    const adapter = fromDrizzle(tx, sql);
    const copies = await boss.findJobs(DEAD_LETTER_QUEUE, { data: { runId }, queued: true, db: adapter });
    // The copy was never fetched (nobody works the dead-letter queue): complete it as it is.
    for (const copy of copies) await boss.complete(DEAD_LETTER_QUEUE, copy.id, null, { db: adapter, includeQueued: true });
    return { ok: true };
  });
}
