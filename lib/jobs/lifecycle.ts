import { and, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/lib/db/client";
import { jobRuns, jobRunSteps, type RunError, type RunStatus } from "@/lib/db/schema";

/**
 * The one place that says how a run may move. Every status write below names its source states
 * in its WHERE clause, so a write that arrives late (a rescued or retried attempt) changes nothing.
 */
export const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  pending: ["running", "cancelled", "failed"],
  running: ["completed", "failed", "cancelled", "dead_letter", "pending"],
  completed: [],
  failed: ["pending"],
  cancelled: [],
  dead_letter: ["pending"],
};

export const ACTIVE_STATUSES = ["pending", "running"] as const satisfies readonly RunStatus[];
export const TERMINAL_STATUSES = ["completed", "failed", "cancelled", "dead_letter"] as const satisfies readonly RunStatus[];

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_STATUSES as readonly RunStatus[]).includes(status);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses a run may be in to move to `to`. */
function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => canTransition(from, to));
}

export type StartedAttempt = {
  runId: string;
  attempt: number;
  payload: Record<string, unknown>;
  projectId: string | null;
  teamId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  maxAttempts: number;
  cancelRequested: boolean;
};

/**
 * Claim the run for the pg-boss job that was delivered. Each attempt is its own pg-boss job, so a
 * delivery whose job id is no longer the run's (cancelled, superseded) starts nothing.
 */
export async function startAttempt(db: DbOrTx, runId: string, bossJobId: string, workerId: string): Promise<StartedAttempt | null> {
  const rows = await db
    .update(jobRuns)
    .set({
      status: "running",
      attemptCount: sql`${jobRuns.attemptCount} + 1`,
      startedAt: sql`coalesce(${jobRuns.startedAt}, now())`,
      lastHeartbeat: sql`now()`,
      workerId,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.bossJobId, bossJobId), inArray(jobRuns.status, sourcesOf("running"))))
    .returning({
      runId: jobRuns.id,
      attempt: jobRuns.attemptCount,
      payload: jobRuns.payload,
      projectId: jobRuns.projectId,
      teamId: jobRuns.teamId,
      resourceType: jobRuns.resourceType,
      resourceId: jobRuns.resourceId,
      maxAttempts: jobRuns.maxAttempts,
      cancelRequestedAt: jobRuns.cancelRequestedAt,
    });
  const row = rows[0];
  if (!row) return null;
  await db.insert(jobRunSteps).values({ runId, stepType: "attempt", status: "started", attemptNumber: row.attempt, workerId });
  const { cancelRequestedAt, ...rest } = row;
  return { ...rest, cancelRequested: cancelRequestedAt !== null };
}

export type Progress = { processed: number; total: number | null; message: string | null; stage: string | null };

export function percentOf(processed: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((processed / total) * 100)));
}

/** Write progress and heartbeat for a running attempt; returns whether cancel was requested. */
export async function writeProgress(db: DbOrTx, runId: string, attempt: number, progress: Progress): Promise<{ cancelRequested: boolean } | null> {
  const rows = await db
    .update(jobRuns)
    .set({
      progressProcessed: progress.processed,
      progressTotal: progress.total,
      progressMessage: progress.message,
      progressPercent: percentOf(progress.processed, progress.total),
      currentStage: progress.stage,
      lastHeartbeat: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.attemptCount, attempt), eq(jobRuns.status, "running")))
    .returning({ cancelRequestedAt: jobRuns.cancelRequestedAt });
  const row = rows[0];
  return row ? { cancelRequested: row.cancelRequestedAt !== null } : null;
}

export type Outcome =
  | { status: "completed"; result: Record<string, unknown> }
  | { status: "cancelled" }
  | { status: "failed" | "dead_letter"; error: RunError }
  | { status: "pending"; error: RunError; runAt: Date; bossJobId: string };

/**
 * End an attempt. Fenced on (run, attempt, running): returns false when the attempt was already
 * ended elsewhere (cancelled while pending, rescued as stale), and then nothing was written.
 */
export async function finishAttempt(
  db: DbOrTx,
  runId: string,
  attempt: number,
  outcome: Outcome,
  extra: { progress?: Progress; workerId: string; durationMs: number },
): Promise<boolean> {
  if (!canTransition("running", outcome.status)) throw new Error(`A running attempt cannot end as ${outcome.status}`);
  const error = "error" in outcome ? outcome.error : null;
  const terminal = outcome.status !== "pending";
  const progress = extra.progress;
  const rows = await db
    .update(jobRuns)
    .set({
      status: outcome.status,
      result: outcome.status === "completed" ? outcome.result : undefined,
      error: error ?? undefined,
      errorMessage: error?.message,
      completedAt: terminal ? sql`now()` : undefined,
      runAt: outcome.status === "pending" ? outcome.runAt : undefined,
      bossJobId: outcome.status === "pending" ? outcome.bossJobId : undefined,
      ...(progress && {
        progressProcessed: progress.processed,
        progressTotal: progress.total,
        progressMessage: progress.message,
        progressPercent: outcome.status === "completed" && progress.total ? 100 : percentOf(progress.processed, progress.total),
        currentStage: progress.stage,
      }),
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.attemptCount, attempt), eq(jobRuns.status, "running")))
    .returning({ id: jobRuns.id });
  if (rows.length === 0) return false;
  await db.insert(jobRunSteps).values({
    runId,
    stepType: "attempt",
    status: outcome.status === "pending" ? "retrying" : outcome.status === "dead_letter" ? "failed" : outcome.status,
    attemptNumber: attempt,
    errorMessage: error?.message,
    errorType: error?.type,
    errorSource: error?.source,
    errorSubType: error?.subType,
    errorSeverity: error?.severity,
    workerId: extra.workerId,
    durationMs: extra.durationMs,
  });
  return true;
}

export type StepRecord = {
  runId: string;
  attempt: number;
  stepType: string;
  status: "completed" | "failed" | "skipped";
  durationMs: number;
  workerId: string;
  error?: RunError;
};

export async function recordStep(db: DbOrTx, step: StepRecord): Promise<void> {
  await db.insert(jobRunSteps).values({
    runId: step.runId,
    stepType: step.stepType,
    status: step.status,
    attemptNumber: step.attempt,
    durationMs: step.durationMs,
    workerId: step.workerId,
    errorMessage: step.error?.message,
    errorType: step.error?.type,
    errorSource: step.error?.source,
    errorSubType: step.error?.subType,
    errorSeverity: step.error?.severity,
  });
}
