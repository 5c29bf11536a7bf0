import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db, Tx } from "@/lib/db/client";
import { jobRuns, type RunStatus } from "@/lib/db/schema";
import { sendAttempt } from "../enqueue";
import { isRetryableConflict } from "./cancel";

export type RetryNowOutcome = { ok: true } | { ok: false; code: "not_found" } | { ok: false; code: "not_waiting"; status: RunStatus; attempts: number };

const TRIES = 5;

/** Why Retry now was refused, in one wording for the run page and the REST API. */
export function notWaitingReason(outcome: { status: RunStatus; attempts: number }): string {
  const why = outcome.status !== "pending" ? `it is ${outcome.status}` : outcome.attempts === 0 ? "it has not run yet (a later run starts at its time)" : "its retry is already due";
  return `The run is not waiting for a retry: ${why}.`;
}

/**
 * Skip the backoff of a run waiting for its next attempt: its delayed queue job is replaced by one
 * due now, under the run's row lock (the lock cancel and the worker's claim order on). The claim
 * is fenced on the queue job id, so the old job, if a worker fetched it meanwhile, starts nothing;
 * a claim that won the lock first left the run `running`, and this answers "not waiting".
 * `onDone` writes what must commit with it (the audit event).
 */
export async function retryNow(db: Db, boss: PgBoss, runId: string, onDone?: (tx: Tx) => Promise<void>): Promise<RetryNowOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await retryNowOnce(db, boss, runId, onDone);
    } catch (error) {
      if (attempt >= TRIES || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

async function retryNowOnce(db: Db, boss: PgBoss, runId: string, onDone?: (tx: Tx) => Promise<void>): Promise<RetryNowOutcome> {
  return db.transaction(async (tx) => {
    const [run] = await tx
      .select({ status: jobRuns.status, jobType: jobRuns.jobType, bossJobId: jobRuns.bossJobId, attempts: jobRuns.attemptCount, waiting: sql<boolean>`${jobRuns.runAt} > clock_timestamp()` })
      .from(jobRuns)
      .where(eq(jobRuns.id, runId))
      .for("update");
    if (!run) return { ok: false, code: "not_found" };
    // Waiting for a retry: pending after at least one attempt, its next one not yet due. A later
    // run (no attempt yet) is not: it was asked for at that time. Due is judged on the clock, not
    // now() (this transaction's start): a retry-now that committed while this one waited for the
    // lock set run_at to its own start, which may be later than ours.
    if (run.status !== "pending" || run.attempts === 0 || !run.waiting) return { ok: false, code: "not_waiting", status: run.status, attempts: run.attempts };
    const bossJobId = randomUUID();
    await tx.update(jobRuns).set({ bossJobId, runAt: sql`now()`, updatedAt: sql`now()` }).where(eq(jobRuns.id, runId));
    if (run.bossJobId) await boss.cancel(run.jobType, run.bossJobId, { db: fromDrizzle(tx, sql) });
    await sendAttempt(boss, tx, run.jobType, runId, bossJobId);
    await onDone?.(tx);
    return { ok: true };
  });
}
