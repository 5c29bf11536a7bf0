import { eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Tx } from "@/lib/db/client";
import { jobRuns, notifications, projects, users, type RunStatus } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { createRunInTx } from "@/lib/jobs/enqueue";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { WEBHOOK_DELIVERY_JOB } from "@/lib/webhooks/enqueue";
import { DEFAULT_RUNBOARD_URL, runFinishedEmail, systemAlertEmail, type RunFacts } from "./messages";

export const DELIVERY_JOB = "notification_delivery";

/** Operators hear about system runs that completed or failed; a cancel is someone's own doing. */
const SYSTEM_ALERT_STATUSES: readonly RunStatus[] = ["completed", "failed", "dead_letter"];

/** Whether an operators' alert is due for a system run ending in `status`. */
function systemAlertWanted(jobType: string, status: RunStatus): boolean {
  // The environment last: reading it costs more than the rest, and most runs are tenants'.
  return getJobDefinition(jobType)?.scope === "system" && jobType !== DELIVERY_JOB && jobType !== WEBHOOK_DELIVERY_JOB && SYSTEM_ALERT_STATUSES.includes(status) && !!process.env.SYSTEM_JOBS_ALERT_EMAIL?.trim();
}

/** Whether a run ending in `status` calls for any email; lets the common case skip the outbox read. */
export function notificationWanted(jobType: string, notify: boolean, status: RunStatus): boolean {
  return notify || systemAlertWanted(jobType, status);
}

/**
 * triggerRun for a delivery, joined to the caller's transaction: the delivery run and its queue
 * job exist exactly when the notification does.
 */
export async function enqueueDelivery(tx: Tx, boss: PgBoss, notificationId: string): Promise<string> {
  const def = getJobDefinition(DELIVERY_JOB);
  if (!def) throw new Error(`${DELIVERY_JOB} is missing from the job catalog`);
  const payload = def.payload.parse({ notificationId }) as Record<string, unknown>;
  // Never an overlap key: a conflict here would abort the transaction that ends the source run.
  const runId = await createRunInTx(tx, boss, { def, payload, teamId: null, projectId: null, triggeredBy: null, notify: false }, null);
  if (!runId) throw new Error("could not create the delivery run");
  return runId;
}

/**
 * Write the emails an ended run calls for into the outbox, each with its delivery run, inside the
 * transaction that ended the run (seed 002): the per-trigger alert when the run was started with
 * notify, and the operators' alert for system runs when SYSTEM_JOBS_ALERT_EMAIL is set. Returns
 * the notification ids; a run that has not ended gets none.
 */
export async function enqueueRunNotifications(tx: Tx, boss: PgBoss, runId: string): Promise<string[]> {
  const [run] = await tx
    .select({
      jobType: jobRuns.jobType,
      status: jobRuns.status,
      notify: jobRuns.notify,
      startedAt: jobRuns.startedAt,
      completedAt: jobRuns.completedAt,
      attempts: jobRuns.attemptCount,
      progressMessage: jobRuns.progressMessage,
      error: jobRuns.error,
      errorMessage: jobRuns.errorMessage,
      projectName: projects.name,
      projectSlug: projects.slug,
      triggeredByEmail: users.email,
    })
    .from(jobRuns)
    .leftJoin(projects, eq(projects.id, jobRuns.projectId))
    .leftJoin(users, eq(users.id, jobRuns.triggeredBy))
    .where(eq(jobRuns.id, runId));
  if (!run || !isTerminal(run.status)) return [];

  const def = getJobDefinition(run.jobType);
  const facts: RunFacts = {
    runId,
    jobLabel: def?.label ?? run.jobType,
    status: run.status,
    projectName: run.projectName,
    projectSlug: run.projectSlug,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    attempts: run.attempts,
    progressMessage: run.progressMessage,
    error: run.error,
    errorMessage: run.errorMessage,
  };
  const outbox: (typeof notifications.$inferInsert)[] = [];
  if (run.notify && run.triggeredByEmail) {
    const baseUrl = process.env.RUNBOARD_URL || DEFAULT_RUNBOARD_URL;
    outbox.push({ runId, kind: "run_finished", toEmail: run.triggeredByEmail, ...runFinishedEmail(facts, baseUrl) });
  }
  const alertTo = process.env.SYSTEM_JOBS_ALERT_EMAIL?.trim();
  // Deliveries are system runs too: alerting on them would send mail about mail, forever.
  if (alertTo && systemAlertWanted(run.jobType, run.status)) {
    outbox.push({ runId, kind: "system_alert", toEmail: alertTo, ...systemAlertEmail(facts, run.jobType) });
  }
  if (outbox.length === 0) return [];

  const inserted = await tx.insert(notifications).values(outbox).returning({ id: notifications.id });
  for (const n of inserted) await enqueueDelivery(tx, boss, n.id);
  return inserted.map((n) => n.id);
}
