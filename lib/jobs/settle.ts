import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import type { RunError } from "@/lib/db/schema";
import { enqueueRunNotifications, notificationWanted } from "@/lib/notify/outbox";
import { DEAD_LETTER_QUEUE } from "./boss";
import { getJobDefinition } from "./catalog";
import { sendAttempt } from "./enqueue";
import { finishAttempts, type Outcome, type Progress } from "./lifecycle";
import { retryDelaySeconds } from "./retry";

/** What a failed attempt leads to: another attempt after a backoff, dead letter, or failure. */
export function failureOutcome(jobType: string, maxAttempts: number, attempt: number, error: RunError): Outcome {
  const def = getJobDefinition(jobType);
  if (!error.retryable) return { status: "failed", error };
  // Retries exhausted: dead letter for types that retry, plain failure for one-shot types.
  if (!def || attempt >= maxAttempts) return { status: def && def.retry.limit > 0 ? "dead_letter" : "failed", error };
  const delay = retryDelaySeconds(def.retry, attempt);
  return { status: "pending", error, runAt: new Date(Date.now() + delay * 1000), bossJobId: randomUUID() };
}

export type SettleInput = {
  runId: string;
  jobType: string;
  attempt: number;
  outcome: Outcome;
  workerId: string;
  durationMs: number;
  progress?: Progress;
  /** The attempt's own queue job, when someone other than its worker ends it (recovery). */
  staleBossJobId?: string | null;
  /** The run's "Notify me when done". */
  notify: boolean;
};

/**
 * End an attempt and do what its outcome implies, in one transaction: schedule the next attempt's
 * queue job, or copy a dead letter to pg-boss's dead-letter queue, and queue the emails an ended
 * run calls for. Fenced: false when the attempt had already been ended elsewhere, and then nothing
 * was written (so nothing is sent twice).
 */
export async function settleAttempt(db: Db, boss: PgBoss, input: SettleInput): Promise<boolean> {
  const [written] = await settleAttempts(db, boss, [input]);
  return written ?? false;
}

/** settleAttempt for many attempts in one transaction: one UPDATE and one step insert for all. */
export async function settleAttempts(db: Db, boss: PgBoss, inputs: SettleInput[]): Promise<boolean[]> {
  if (inputs.length === 0) return [];
  // The common case (runs that simply ended, nobody to email) is one statement, no transaction.
  const plain = inputs.every((i) => !i.staleBossJobId && (i.outcome.status === "completed" || i.outcome.status === "cancelled" || i.outcome.status === "failed") && !notificationWanted(i.jobType, i.notify, i.outcome.status));
  if (plain) return finishAttempts(db, inputs);
  return db.transaction(async (tx) => {
    const written = await finishAttempts(tx, inputs);
    const adapter = fromDrizzle(tx, sql);
    for (const [i, input] of inputs.entries()) {
      if (!written[i]) continue;
      const { outcome } = input;
      // Keep pg-boss's record in step with ours when the attempt's worker is gone.
      if (input.staleBossJobId) await boss.fail(input.jobType, input.staleBossJobId, null, { db: adapter });
      if (outcome.status === "pending") await sendAttempt(boss, tx, input.jobType, input.runId, outcome.bossJobId, outcome.runAt);
      if (outcome.status === "dead_letter") {
        await boss.send(DEAD_LETTER_QUEUE, { runId: input.runId, jobType: input.jobType, error: outcome.error.message }, { db: adapter });
      }
      if (outcome.status !== "pending" && notificationWanted(input.jobType, input.notify, outcome.status)) await enqueueRunNotifications(tx, boss, input.runId);
    }
    return written;
  });
}
