import { eq, sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import { jobRuns, jobRunSteps, type RunStatus } from "@/lib/db/schema";
import { enqueueRunWebhooks } from "@/lib/webhooks/enqueue";
import { enqueueRunNotifications } from "@/lib/notify/outbox";
import { postgresError } from "../errors";
import { canTransition } from "../lifecycle";

export type CancelOutcome = { outcome: "cancelled" | "cancelling" | "already_finished" | "not_found"; status?: RunStatus };

/**
 * Cooperative cancel. A pending run (queued or waiting for a retry) is cancelled at once, its queue
 * job removed and its emails queued, in one transaction. A running run gets a cancel request that
 * its handler sees through isCancelled() and its AbortSignal.
 *
 * The answer always matches the outcome recorded, whatever the race: "cancelling" means the run
 * ends `cancelled`, because an attempt's end is written by a statement that turns any outcome of a
 * run with a cancel request into `cancelled` (lib/jobs/lifecycle endAttempts) — also when the
 * handler had already returned and its end was still waiting to be written. A run whose end was
 * written first answers "already_finished" with that status. The row lock taken here orders the
 * two.
 */
export async function cancelRun(db: Db, boss: PgBoss, runId: string, userId: string | null): Promise<CancelOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await cancelOnce(db, boss, runId, userId);
    } catch (error) {
      // A deadlock or serialization failure rolled the whole transaction back: it is safe to run
      // again, and the user must not see it as a failure.
      if (attempt >= CANCEL_TRIES || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

const CANCEL_TRIES = 5;

export function isRetryableConflict(error: unknown): boolean {
  const code = postgresError(error)?.code;
  return code === "40P01" || code === "40001";
}

async function cancelOnce(db: Db, boss: PgBoss, runId: string, userId: string | null): Promise<CancelOutcome> {
  return db.transaction(async (tx) => {
    const [run] = await tx
      .select({ status: jobRuns.status, jobType: jobRuns.jobType, bossJobId: jobRuns.bossJobId, attempt: jobRuns.attemptCount })
      .from(jobRuns)
      .where(eq(jobRuns.id, runId))
      .for("update");
    if (!run) return { outcome: "not_found" };
    if (run.status === "pending" && canTransition("pending", "cancelled")) {
      await tx
        .update(jobRuns)
        .set({ status: "cancelled", cancelRequestedAt: sql`now()`, cancelledBy: userId, completedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(jobRuns.id, runId));
      await tx.insert(jobRunSteps).values({ runId, stepType: "cancel", status: "cancelled", attemptNumber: run.attempt });
      if (run.bossJobId) await boss.cancel(run.jobType, run.bossJobId, { db: fromDrizzle(tx, sql) });
      await enqueueRunNotifications(tx, boss, runId);
      await enqueueRunWebhooks(tx, boss, runId);
      return { outcome: "cancelled", status: "cancelled" };
    }
    if (run.status === "running") {
      await tx
        .update(jobRuns)
        .set({ cancelRequestedAt: sql`coalesce(${jobRuns.cancelRequestedAt}, now())`, cancelledBy: sql`coalesce(${jobRuns.cancelledBy}, ${userId})`, updatedAt: sql`now()` })
        .where(eq(jobRuns.id, runId));
      return { outcome: "cancelling", status: "running" };
    }
    return { outcome: "already_finished", status: run.status };
  });
}
