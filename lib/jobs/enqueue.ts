import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { Db, Tx } from "@/lib/db/client";
import { jobRuns } from "@/lib/db/schema";
import { maxAttempts } from "./catalog";
import { ACTIVE_STATUSES } from "./lifecycle";
import { redactJson } from "./redact";
import type { JobDefinition, Overlap } from "./define";

export type TriggerInput = {
  def: JobDefinition;
  /** Already validated against def.payload. */
  payload: Record<string, unknown>;
  teamId: string | null;
  projectId: string | null;
  triggeredBy: string | null;
  notify: boolean;
  /** A later run: its first attempt is not delivered before this (already validated, see run-at.ts). */
  runAt?: Date | null;
  /** Writes that belong to the trigger (e.g. storing an upload); returns payload fields to add. */
  prepare?: (tx: Tx) => Promise<Record<string, unknown>>;
  /** Writes that must commit with the new run (e.g. its audit event). */
  onCreated?: (tx: Tx, runId: string) => Promise<void>;
};

/** A trigger refused by the type's overlap rule: the run in the way and, for people, which rule. */
export type OverlapRefusal = { ok: false; code: "already_active"; existingRunId: string; overlap: Overlap; message: string };

export type TriggerResult = { ok: true; runId: string } | OverlapRefusal;

/** The payload a queue job carries: only the run id; everything else lives on the run row. */
export type QueueJobData = { runId: string };

/** Send one attempt's queue job inside the caller's transaction; each attempt is its own job. */
export async function sendAttempt(boss: PgBoss, tx: Tx, jobType: string, runId: string, bossJobId: string, startAfter?: Date): Promise<void> {
  const data: QueueJobData = { runId };
  const sent = await boss.send(jobType, data, { id: bossJobId, startAfter, db: fromDrizzle(tx, sql) });
  if (!sent) throw new Error(`pg-boss refused the job for run ${runId}`);
}

/** The run's overlap slot (job_runs.exclusive_key, unique among active runs); null: no limit. */
export function exclusiveKeyFor(def: JobDefinition, projectId: string | null, resource: { type: string; id: string } | null | undefined): string | null {
  const scope = `${projectId ?? "system"}:${def.name}`;
  switch (def.overlap) {
    case "project":
      return scope;
    // A run without a resource has nothing to collide on.
    case "resource":
      return resource ? `${scope}:${resource.type}:${resource.id}` : null;
    case "none":
      return null;
  }
}

/** What people read when the overlap rule refuses a run: which rule, in their words. */
export function overlapMessage(def: JobDefinition, projectId: string | null, resource: { type: string } | null | undefined): string {
  if (def.overlap === "resource" && resource) return `${def.label} is already running for this ${resource.type}: one run at a time per ${resource.type}.`;
  return projectId ? `${def.label} is already running for this project.` : `${def.label} is already running.`;
}

export function overlapRefusal(def: JobDefinition, projectId: string | null, resource: { type: string } | null | undefined, existingRunId: string): OverlapRefusal {
  return { ok: false, code: "already_active", existingRunId, overlap: def.overlap, message: overlapMessage(def, projectId, resource) };
}

/** The pending-or-running run holding an overlap slot, if any. */
export async function findActiveRun(tx: Tx, exclusiveKey: string): Promise<string | undefined> {
  return (await findActiveRunDetail(tx, exclusiveKey))?.id;
}

/**
 * The run holding an overlap slot, with its start time when it is a later run not yet due (on the
 * clock: a run triggered "now" by a concurrent transaction has run_at at that transaction's start,
 * which may be after this one's now()).
 */
async function findActiveRunDetail(tx: Tx, exclusiveKey: string): Promise<{ id: string; scheduledFor: Date | null } | undefined> {
  const rows = await tx
    .select({ id: jobRuns.id, scheduledFor: sql<Date | null>`case when ${jobRuns.status} = 'pending' and ${jobRuns.attemptCount} = 0 and ${jobRuns.runAt} > clock_timestamp() then ${jobRuns.runAt} end` })
    .from(jobRuns)
    .where(and(eq(jobRuns.exclusiveKey, exclusiveKey), inArray(jobRuns.status, ACTIVE_STATUSES)))
    .limit(1);
  const row = rows[0];
  return row && { id: row.id, scheduledFor: row.scheduledFor === null ? null : new Date(row.scheduledFor) };
}

/** A trigger that raced a project's soft delete: the project takes no new runs. */
export class ProjectDeletedError extends Error {
  constructor() {
    super("This project has been deleted; it takes no new runs.");
  }
}

/**
 * Key-share the project row and see it live: a soft delete takes the row for update and refuses
 * while a run is active, so delete and trigger are ordered and a deleted project never gets a run.
 */
async function lockLiveProject(tx: Tx, projectId: string): Promise<void> {
  const live = await tx.execute(sql`select 1 from projects where id = ${projectId} and deleted_at is null for key share`);
  if (live.length === 0) throw new ProjectDeletedError();
}

class AlreadyActive extends Error {
  constructor(readonly refusal: OverlapRefusal) {
    super("already active");
  }
}
class RetryTrigger extends Error {}

/**
 * Insert a pending run and send its first queue job inside the caller's transaction. Returns the
 * run id, or null when the overlap slot (exclusive key) is taken; nothing is sent then.
 */
export async function createRunInTx(tx: Tx, boss: PgBoss, input: Omit<TriggerInput, "prepare" | "onCreated">, exclusiveKey: string | null): Promise<string | null> {
  const { def, payload } = input;
  if (input.projectId) await lockLiveProject(tx, input.projectId);
  const resource = def.resource?.(payload, input.projectId) ?? null;
  const runId = randomUUID();
  const bossJobId = randomUUID();
  const inserted = await tx
    .insert(jobRuns)
    .values({
      id: runId,
      teamId: input.teamId,
      projectId: input.projectId,
      jobType: def.name,
      resourceType: resource?.type,
      resourceId: resource?.id,
      status: "pending",
      maxAttempts: maxAttempts(def),
      payload,
      // What tenants read and search: redacted once, here.
      payloadPublic: redactJson(payload) as Record<string, unknown>,
      triggeredBy: input.triggeredBy,
      notify: input.notify,
      bossJobId,
      exclusiveKey,
      ...(input.runAt ? { runAt: input.runAt } : {}),
    })
    .onConflictDoNothing()
    .returning({ id: jobRuns.id });
  if (inserted.length === 0) return null;
  // pg-boss holds a later run's job until its time; a pause or a limit still applies when it is delivered.
  await sendAttempt(boss, tx, def.name, runId, bossJobId, input.runAt ?? undefined);
  return runId;
}

/**
 * Create a run and its first queue job in one transaction: both exist or neither does. Overlap is
 * enforced by the database (job_runs_one_active_key), so concurrent triggers cannot both win.
 */
export async function triggerRun(db: Db, boss: PgBoss, input: TriggerInput): Promise<TriggerResult> {
  const { def } = input;
  for (let tries = 0; tries < 3; tries++) {
    try {
      return await db.transaction(async (tx): Promise<TriggerResult> => {
        const payload = { ...input.payload, ...(await input.prepare?.(tx)) };
        // After prepare: the resource (e.g. an uploaded file) may come from it.
        const resource = def.resource?.(payload, input.projectId) ?? null;
        const exclusiveKey = exclusiveKeyFor(def, input.projectId, resource);
        const runId = await createRunInTx(tx, boss, { ...input, payload }, exclusiveKey);
        if (!runId) {
          const existing = exclusiveKey ? await findActiveRunDetail(tx, exclusiveKey) : undefined;
          // Throwing rolls back whatever prepare() wrote: a refused trigger changes nothing.
          if (!existing) throw new RetryTrigger();
          const refusal = overlapRefusal(def, input.projectId, resource, existing.id);
          // A later run holds the slot from its trigger on (it is pending): say so, with its time.
          if (existing.scheduledFor) refusal.message = `${def.label} is already scheduled for ${existing.scheduledFor.toISOString().replace("T", " ").slice(0, 16)} UTC; cancel that run to run it now.`;
          throw new AlreadyActive(refusal);
        }
        await input.onCreated?.(tx, runId);
        return { ok: true, runId };
      });
    } catch (error) {
      if (error instanceof AlreadyActive) return error.refusal;
      // The active run ended between our insert and our read of it: try again.
      if (!(error instanceof RetryTrigger)) throw error;
    }
  }
  throw new Error("Could not create the run: the active run kept changing. Try again.");
}
