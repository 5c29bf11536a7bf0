import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import type { RunError } from "@/lib/db/schema";
import { alertedJobTypes, enqueueRunAlerts } from "@/lib/notify/alerts";
import { enqueueRunNotifications, notificationWanted } from "@/lib/notify/outbox";
import { enqueueRunWebhooks, hookedTeams, WEBHOOK_DELIVERY_JOB } from "@/lib/webhooks/enqueue";
import { DEAD_LETTER_QUEUE } from "./boss";
import { getJobDefinition } from "./catalog";
import { sendAttempt } from "./enqueue";
import { endAttempts, finishAttempts, type Outcome, type Progress } from "./lifecycle";
import { capText, MAX_ERROR_MESSAGE } from "./redact";
import { failedAttemptFate, retryDelaySeconds } from "./retry";

/** What a failed attempt leads to: another attempt after a backoff, dead letter, or failure. */
export function failureOutcome(jobType: string, maxAttempts: number, attempt: number, error: RunError): Outcome {
  const def = getJobDefinition(jobType);
  const fate = failedAttemptFate(def?.retry.limit ?? null, attempt, maxAttempts, error.retryable);
  if (fate === "dead_letter" || fate === "failed" || !def) return { status: fate === "retry" ? "failed" : fate, error };
  const delay = retryDelaySeconds(def.retry, attempt);
  return { status: "pending", error, runAt: new Date(Date.now() + delay * 1000), bossJobId: randomUUID() };
}

export type SettleInput = {
  runId: string;
  jobType: string;
  attempt: number;
  outcome: Outcome;
  /** Null when someone other than its worker ends it: measured from the attempt's start. */
  durationMs: number | null;
  progress?: Progress;
  /** The attempt's own queue job, when someone other than its worker ends it (recovery). */
  staleBossJobId?: string | null;
  /** The run's "Notify me when done". */
  notify: boolean;
  /** The run's team (null: a system run); unknown (recovery) counts as possibly having webhooks. */
  teamId?: string | null;
};

const NO_TEAMS: ReadonlySet<string> = new Set();

/** Whether the run's team may have webhook endpoints (`hooked`: see hookedTeams); a delivery never has (no loops). */
function webhooksWanted(input: SettleInput, hooked: ReadonlySet<string>): boolean {
  if (hooked.size === 0 || input.jobType === WEBHOOK_DELIVERY_JOB || input.teamId === null) return false;
  return input.teamId === undefined || hooked.has(input.teamId);
}

/**
 * End an attempt and do what its outcome implies, in one transaction: schedule the next attempt's
 * queue job, or copy a dead letter to pg-boss's dead-letter queue, and queue the emails and
 * webhook deliveries an ended run calls for. Fenced: false when the attempt had already been ended elsewhere, and then nothing
 * was written (so nothing is sent twice).
 */
export async function settleAttempt(db: Db, boss: PgBoss, input: SettleInput): Promise<boolean> {
  const [written] = await settleAttempts(db, boss, [input]);
  return written ?? false;
}

/**
 * A run that simply ended (completed, cancelled, or failed for good) with nobody to email and no
 * webhook endpoint to call: its end is one row write and nothing else, with no transaction. (A cancel requested meanwhile turns it
 * into `cancelled`, which never calls for an email a plain end did not: see notificationWanted.)
 */
export function isPlainEnd(input: SettleInput, hooked: ReadonlySet<string> = NO_TEAMS): boolean {
  const { status } = input.outcome;
  return !input.staleBossJobId && (status === "completed" || status === "cancelled" || status === "failed") && !notificationWanted(input.jobType, input.notify, status) && !webhooksWanted(input, hooked);
}

/**
 * An attempt's outcome as the worker hands it to pg-boss (the job's output), so recovery can still
 * write it when the worker died before it did.
 */
const OUTCOME_KEY = "runboardOutcome";

export function outcomeOutput(outcome: Outcome): Record<string, unknown> {
  return { [OUTCOME_KEY]: outcome };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a job's output may hold, before it is checked: it was JSON in between. */
type StoredOutcome = { status?: unknown; result?: unknown; error?: RunError; runAt?: unknown; bossJobId?: unknown };

export function outcomeFromOutput(output: unknown): Outcome | null {
  const outcome = (output as Record<string, StoredOutcome | undefined> | null)?.[OUTCOME_KEY];
  if (outcome?.status === "completed" && outcome.result && typeof outcome.result === "object") return { status: "completed", result: outcome.result as Record<string, unknown> };
  if (outcome?.status === "cancelled") return { status: "cancelled" };
  const error = outcome?.error;
  if (!error || typeof error.message !== "string") return null;
  if (outcome.status === "failed" || outcome.status === "dead_letter") return { status: outcome.status, error };
  // A retry: its next attempt's queue job and time travel as JSON (a date as its ISO string).
  if (outcome.status === "pending" && typeof outcome.runAt === "string" && typeof outcome.bossJobId === "string" && UUID.test(outcome.bossJobId)) {
    const runAt = new Date(outcome.runAt);
    if (!Number.isNaN(runAt.getTime())) return { status: "pending", error, runAt, bossJobId: outcome.bossJobId };
  }
  return null;
}

/** settleAttempt for many attempts in one transaction: one UPDATE and one step insert for all. */
export async function settleAttempts(db: Db, boss: PgBoss, inputs: SettleInput[]): Promise<boolean[]> {
  if (inputs.length === 0) return [];
  // A failure a team alert rule covers needs the transaction (one query, only when something failed).
  const alerted = await alertedJobTypes(db, inputs.map((i) => ({ jobType: i.jobType, status: i.outcome.status })));
  // The common case (runs that simply ended, nobody to email) is one statement, no transaction.
  // A run of a team with webhook endpoints needs it too (a cached set: no query per end).
  const hooked = await hookedTeams(db);
  if (inputs.every((i) => isPlainEnd(i, hooked) && !alerted.has(i.jobType))) return finishAttempts(db, inputs);
  return db.transaction(async (tx) => {
    // What follows an end goes by the status actually written: a cancel requested meanwhile
    // (see endAttempts) leaves no retry and no dead letter to send.
    const written = await endAttempts(tx, inputs);
    const adapter = fromDrizzle(tx, sql);
    for (const [i, input] of inputs.entries()) {
      const status = written[i];
      if (!status) continue;
      const { outcome } = input;
      // Keep pg-boss's record in step with ours when the attempt's worker is gone.
      if (input.staleBossJobId) await boss.fail(input.jobType, input.staleBossJobId, null, { db: adapter });
      if (status === "pending" && outcome.status === "pending") await sendAttempt(boss, tx, input.jobType, input.runId, outcome.bossJobId, outcome.runAt);
      if (status === "dead_letter" && outcome.status === "dead_letter") {
        await boss.send(DEAD_LETTER_QUEUE, { runId: input.runId, jobType: input.jobType, error: capText(outcome.error.message, MAX_ERROR_MESSAGE) }, { db: adapter });
      }
      if (status !== "pending" && notificationWanted(input.jobType, input.notify, status)) await enqueueRunNotifications(tx, boss, input.runId);
      if (status !== "pending" && webhooksWanted(input, hooked)) await enqueueRunWebhooks(tx, boss, input.runId);
    }
    await enqueueRunAlerts(tx, boss, inputs.filter((input, i) => alerted.has(input.jobType) && (written[i] === "failed" || written[i] === "dead_letter")).map((input) => input.runId));
    return written.map((status) => status !== null);
  });
}
