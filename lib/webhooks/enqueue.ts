import { randomUUID } from "node:crypto";
import { and, eq, isNotNull, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { DbOrTx, Tx } from "@/lib/db/client";
import { jobRuns, projects, teams, webhookDeliveries, webhookEndpoints, type RunStatus, type WebhookEvent } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { createRunInTx } from "@/lib/jobs/enqueue";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { publicErrorMessage } from "@/lib/jobs/redact";
import { DEFAULT_RUNBOARD_URL } from "@/lib/notify/messages";

export const WEBHOOK_DELIVERY_JOB = "webhook_delivery";
/** A team's endpoints, at most; also bounds the deliveries one run end can create. */
export const MAX_ENDPOINTS_PER_TEAM = 20;

const EVENT_OF: Partial<Record<RunStatus, WebhookEvent>> = {
  completed: "run.completed",
  failed: "run.failed",
  dead_letter: "run.dead_letter",
  cancelled: "run.cancelled",
};

/** The JSON a receiver gets. Tenant copies only: the error is the redacted public message. */
export type WebhookBody = {
  id: string;
  type: WebhookEvent;
  createdAt: string;
  data: {
    run: {
      id: string;
      jobType: string;
      status: RunStatus;
      projectSlug: string;
      teamSlug: string;
      attempts: number;
      queuedAt: string;
      startedAt: string | null;
      completedAt: string | null;
      error: { message: string; type: string | null } | null;
      url: string;
    };
  };
};

// ---------------------------------------------------------------------------------------------
// Which teams have endpoints, for the settle path's fast check

/** How long the worker trusts its list of teams with enabled endpoints; a new endpoint waits at most this. */
export const HOOKED_TEAMS_TTL_MS = 5_000;
let hooked: { teams: ReadonlySet<string>; at: number } | null = null;
let loading: Promise<ReadonlySet<string>> | null = null;

/**
 * Teams with at least one enabled endpoint, cached for HOOKED_TEAMS_TTL_MS (one read shared by
 * concurrent callers), so a run end of a team without webhooks stays a single row write. The
 * endpoints themselves are read fresh inside the end's transaction.
 */
export async function hookedTeams(db: DbOrTx, now: number = Date.now()): Promise<ReadonlySet<string>> {
  if (hooked && now - hooked.at < HOOKED_TEAMS_TTL_MS) return hooked.teams;
  loading ??= db
    .selectDistinct({ teamId: webhookEndpoints.teamId })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.enabled, true))
    .then((rows) => {
      hooked = { teams: new Set(rows.map((r) => r.teamId)), at: Date.now() };
      return hooked.teams;
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

/** Forget the cached list (tests, and a process that just changed endpoints itself). */
export function forgetHookedTeams(): void {
  hooked = null;
}

// ---------------------------------------------------------------------------------------------
// The hook

/**
 * Queue one webhook delivery per enabled endpoint of the run's team that subscribes to the run's
 * end event, each with its own webhook_delivery run, inside the transaction that ended the run.
 * A delivery run never produces webhooks itself (no loops); a run not yet ended produces none.
 */
export async function enqueueRunWebhooks(tx: Tx, boss: PgBoss, runId: string): Promise<string[]> {
  try {
    // In a savepoint: a delivery that cannot be queued is logged, and never holds up the run's end.
    return await tx.transaction((savepoint) => writeRunWebhooks(savepoint, boss, runId));
  } catch (error) {
    console.error(`[webhooks] could not queue the webhook deliveries of run ${runId}`, error);
    return [];
  }
}

async function writeRunWebhooks(tx: Tx, boss: PgBoss, runId: string): Promise<string[]> {
  const [run] = await tx
    .select({
      teamId: jobRuns.teamId,
      projectId: jobRuns.projectId,
      jobType: jobRuns.jobType,
      status: jobRuns.status,
      attempts: jobRuns.attemptCount,
      queuedAt: jobRuns.queuedAt,
      startedAt: jobRuns.startedAt,
      completedAt: jobRuns.completedAt,
      errorMessage: jobRuns.errorMessage,
      errorMessagePublic: jobRuns.errorMessagePublic,
      error: jobRuns.error,
      projectSlug: projects.slug,
      teamSlug: teams.slug,
    })
    .from(jobRuns)
    .innerJoin(projects, eq(projects.id, jobRuns.projectId))
    .innerJoin(teams, eq(teams.id, jobRuns.teamId))
    .where(and(eq(jobRuns.id, runId), isNotNull(jobRuns.teamId)));
  const event = run ? EVENT_OF[run.status] : undefined;
  if (!run || !event || !isTerminal(run.status) || run.jobType === WEBHOOK_DELIVERY_JOB || !run.teamId || !run.projectId) return [];

  const endpoints = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.teamId, run.teamId), eq(webhookEndpoints.enabled, true), sql`${event} = any(${webhookEndpoints.events})`))
    .limit(MAX_ENDPOINTS_PER_TEAM);
  if (endpoints.length === 0) return [];

  const def = getJobDefinition(WEBHOOK_DELIVERY_JOB);
  if (!def) throw new Error(`${WEBHOOK_DELIVERY_JOB} is missing from the job catalog`);
  const baseUrl = (process.env.RUNBOARD_URL || DEFAULT_RUNBOARD_URL).replace(/\/+$/, "");
  const message = run.errorMessagePublic ?? (run.errorMessage ? publicErrorMessage(run.errorMessage) : null);
  const ids: string[] = [];
  for (const endpoint of endpoints) {
    const deliveryId = randomUUID();
    const body: WebhookBody = {
      id: deliveryId,
      type: event,
      createdAt: new Date().toISOString(),
      data: {
        run: {
          id: runId,
          jobType: run.jobType,
          status: run.status,
          projectSlug: run.projectSlug,
          teamSlug: run.teamSlug,
          attempts: run.attempts,
          queuedAt: run.queuedAt.toISOString(),
          startedAt: run.startedAt?.toISOString() ?? null,
          completedAt: run.completedAt?.toISOString() ?? null,
          error: message === null ? null : { message, type: run.error?.type ?? null },
          url: `${baseUrl}/projects/${run.projectSlug}/runs/${runId}`,
        },
      },
    };
    const payload = def.payload.parse({ deliveryId }) as Record<string, unknown>;
    // In the source run's project, so the team can open it; never an overlap key (a conflict
    // here would abort the transaction that ends the source run).
    const deliveryRunId = await createRunInTx(tx, boss, { def, payload, teamId: run.teamId, projectId: run.projectId, triggeredBy: null, notify: false }, null);
    if (!deliveryRunId) throw new Error("could not create the webhook delivery run");
    await tx.insert(webhookDeliveries).values({ id: deliveryId, endpointId: endpoint.id, teamId: run.teamId, sourceRunId: runId, runId: deliveryRunId, event, body: JSON.stringify(body) });
    ids.push(deliveryId);
  }
  return ids;
}
