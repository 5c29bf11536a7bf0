import "server-only";
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { getDatabase } from "@/lib/db/client";
import { jobRunCalls, jobRuns, projects, users, webhookDeliveries, webhookEndpoints, WEBHOOK_EVENTS, type WebhookDeliveryStatus, type WebhookEvent } from "@/lib/db/schema";
import { safeText } from "@/lib/validation/safe-text";
import { MAX_ENDPOINTS_PER_TEAM } from "@/lib/webhooks/enqueue";
import { newWebhookSecret } from "@/lib/webhooks/signature";
import { requireTeamManagement } from "./access";

export { WEBHOOK_EVENTS };
export const MAX_WEBHOOK_URL = 2048;
const DELIVERIES_PAGE_SIZE = 20;
/** Tries shown per delivery: five attempts, each one call (redirects are not followed). */
const CALLS_PER_DELIVERY = 10;


const webhookUrl = safeText()
  .trim()
  .min(1, "Enter the URL to send events to.")
  .max(MAX_WEBHOOK_URL, `Keep the URL under ${MAX_WEBHOOK_URL} characters.`)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
    } catch {
      return false;
    }
  }, "Enter a full http:// or https:// URL, without a user name or password in it.");

const events = z.array(z.enum(WEBHOOK_EVENTS), { error: "Choose the events to send." }).min(1, "Choose at least one event.").max(WEBHOOK_EVENTS.length);

export const webhookEndpointInput = z.object({
  url: webhookUrl,
  description: safeText().trim().max(200, "Keep the description under 200 characters.").default(""),
  events: events.default([...WEBHOOK_EVENTS]),
});
export type WebhookEndpointInput = z.input<typeof webhookEndpointInput>;

export const webhookEndpointPatch = z
  .object({ url: webhookUrl.optional(), description: safeText().trim().max(200, "Keep the description under 200 characters.").optional(), events: events.optional(), enabled: z.boolean().optional() })
  .strict();
export type WebhookEndpointPatch = z.input<typeof webhookEndpointPatch>;

export type WebhookEndpointItem = {
  id: string;
  url: string;
  description: string;
  events: WebhookEvent[];
  enabled: boolean;
  createdAt: string;
  createdBy: string | null;
  secretRotatedAt: string | null;
};

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  createdAt: webhookEndpoints.createdAt,
  createdBy: users.name,
  secretRotatedAt: webhookEndpoints.secretRotatedAt,
};

function endpointItem(r: { id: string; url: string; description: string; events: WebhookEvent[]; enabled: boolean; createdAt: Date; createdBy: string | null; secretRotatedAt: Date | null }): WebhookEndpointItem {
  return { ...r, createdAt: r.createdAt.toISOString(), secretRotatedAt: r.secretRotatedAt?.toISOString() ?? null };
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;

/** The team's endpoints, newest first (at most MAX_ENDPOINTS_PER_TEAM exist); never the secret. */
export async function listWebhookEndpoints(teamSlug: string | null): Promise<WebhookEndpointItem[]> {
  const scope = await requireTeamManagement(teamSlug);
  const rows = await getDatabase()
    .db.select(endpointColumns)
    .from(webhookEndpoints)
    .leftJoin(users, eq(users.id, webhookEndpoints.createdBy))
    .where(eq(webhookEndpoints.teamId, scope.teamId))
    .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
    .limit(MAX_ENDPOINTS_PER_TEAM);
  return rows.map(endpointItem);
}

/** One endpoint of the team, or null (another team's id is null too). */
export async function getWebhookEndpoint(teamSlug: string | null, endpointId: string): Promise<WebhookEndpointItem | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(endpointId)) return null;
  const [row] = await getDatabase()
    .db.select(endpointColumns)
    .from(webhookEndpoints)
    .leftJoin(users, eq(users.id, webhookEndpoints.createdBy))
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)));
  return row ? endpointItem(row) : null;
}

export type CreatedWebhookEndpoint = { endpoint: WebhookEndpointItem; secret: string };
export type WebhookRefusal = { ok: false; code: "limit_reached"; message: string };

/** Register an endpoint; its signing secret is returned here and, until rotated, never again. */
export async function createWebhookEndpoint(teamSlug: string | null, input: WebhookEndpointInput): Promise<CreatedWebhookEndpoint | WebhookRefusal> {
  const scope = await requireTeamManagement(teamSlug);
  const parsed = webhookEndpointInput.parse(input);
  const secret = newWebhookSecret();
  return getDatabase().db.transaction(async (tx) => {
    // Serialise creations per team, so two at once cannot both pass the count.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('webhook_endpoints'), hashtext(${scope.teamId}))`);
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.teamId, scope.teamId));
    if (n >= MAX_ENDPOINTS_PER_TEAM) return { ok: false, code: "limit_reached", message: `A team can have at most ${MAX_ENDPOINTS_PER_TEAM} webhook endpoints; delete one first.` };
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ teamId: scope.teamId, url: parsed.url, description: parsed.description, events: [...new Set(parsed.events)], secret, createdBy: scope.actor.userId })
      .returning();
    if (!row) throw new Error("The webhook endpoint was not stored.");
    await recordAudit(tx, { action: "webhook.created", actor: scope.actor, teamId: scope.teamId, details: { endpointId: row.id, url: row.url, events: row.events } });
    const createdBy = scope.actor.userId ? ((await tx.select({ name: users.name }).from(users).where(eq(users.id, scope.actor.userId)))[0]?.name ?? null) : null;
    return { endpoint: endpointItem({ ...row, createdBy }), secret };
  });
}

/** Change an endpoint's URL, events or description, or enable/disable it; null when not the team's. */
export async function updateWebhookEndpoint(teamSlug: string | null, endpointId: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointItem | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(endpointId)) return null;
  const changes = webhookEndpointPatch.parse(patch);
  return getDatabase().db.transaction(async (tx) => {
    const set = { ...changes, ...(changes.events ? { events: [...new Set(changes.events)] } : {}) };
    const [row] =
      Object.keys(set).length === 0
        ? await tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)))
        : await tx
            .update(webhookEndpoints)
            .set(set)
            .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)))
            .returning();
    if (!row) return null;
    if (Object.keys(set).length > 0) await recordAudit(tx, { action: "webhook.updated", actor: scope.actor, teamId: scope.teamId, details: { endpointId, url: row.url, changed: Object.keys(set) } });
    const createdBy = row.createdBy ? ((await tx.select({ name: users.name }).from(users).where(eq(users.id, row.createdBy)))[0]?.name ?? null) : null;
    return endpointItem({ ...row, createdBy });
  });
}

/** A new signing secret (shown once); deliveries signed from now on use it. */
export async function rotateWebhookSecret(teamSlug: string | null, endpointId: string): Promise<{ secret: string } | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(endpointId)) return null;
  const secret = newWebhookSecret();
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({ secret, secretRotatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)))
      .returning({ url: webhookEndpoints.url });
    if (!row) return null;
    await recordAudit(tx, { action: "webhook.secret_rotated", actor: scope.actor, teamId: scope.teamId, details: { endpointId, url: row.url } });
    return { secret };
  });
}

/** Delete an endpoint and its delivery records; its queued deliveries end without a request. */
export async function deleteWebhookEndpoint(teamSlug: string | null, endpointId: string): Promise<"deleted" | "not_found"> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(endpointId)) return "not_found";
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)))
      .returning({ url: webhookEndpoints.url });
    if (!row) return "not_found";
    await recordAudit(tx, { action: "webhook.deleted", actor: scope.actor, teamId: scope.teamId, details: { endpointId, url: row.url } });
    return "deleted";
  });
}

export type WebhookAttemptView = { attempt: number; status: number | null; durationMs: number; error: string | null; responseExcerpt: string | null; at: string };

export type WebhookDeliveryView = {
  id: string;
  event: WebhookEvent;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastResponseStatus: number | null;
  lastDurationMs: number | null;
  lastResponseExcerpt: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  sourceRunId: string;
  /** The delivery run, when it still exists (retention deletes old runs). */
  run: { id: string; status: string; projectSlug: string } | null;
  tries: WebhookAttemptView[];
};

export type WebhookDeliveryPage = { deliveries: WebhookDeliveryView[]; nextCursor: string | null };

const deliveryCursor = z.object({ t: safeText().min(1).max(64), id: z.uuid() });

function decodeCursor(cursor: string | undefined): { t: string; id: string } | null {
  if (!cursor) return null;
  try {
    const parsed = deliveryCursor.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return parsed.success && !Number.isNaN(Date.parse(parsed.data.t)) ? parsed.data : null;
  } catch {
    return null;
  }
}

const EXCERPT_SHOWN = 300;
const cut = (text: string | null) => (text === null ? null : text.length > EXCERPT_SHOWN ? `${text.slice(0, EXCERPT_SHOWN)}…` : text);

/**
 * An endpoint's deliveries, newest first, one keyset page at a time, each with its tries from the
 * delivery run's call log (one query for the page). Null when the endpoint is not the team's.
 */
export async function listWebhookDeliveries(teamSlug: string | null, endpointId: string, cursor?: string): Promise<WebhookDeliveryPage | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(endpointId)) return null;
  const { db } = getDatabase();
  const [endpoint] = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.teamId, scope.teamId)));
  if (!endpoint) return null;
  const after = decodeCursor(cursor);
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      event: webhookDeliveries.event,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastResponseStatus: webhookDeliveries.lastResponseStatus,
      lastDurationMs: webhookDeliveries.lastDurationMs,
      lastResponseExcerpt: webhookDeliveries.lastResponseExcerpt,
      createdAt: webhookDeliveries.createdAt,
      exactTime: sql<string>`${webhookDeliveries.createdAt}::text`,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
      sourceRunId: webhookDeliveries.sourceRunId,
      runId: webhookDeliveries.runId,
      runStatus: jobRuns.status,
      projectSlug: projects.slug,
    })
    .from(webhookDeliveries)
    .leftJoin(jobRuns, eq(jobRuns.id, webhookDeliveries.runId))
    .leftJoin(projects, eq(projects.id, jobRuns.projectId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        after ? sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${after.t}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(DELIVERIES_PAGE_SIZE + 1);
  const page = rows.slice(0, DELIVERIES_PAGE_SIZE);
  const runIds = page.map((r) => r.runId);
  const calls =
    runIds.length === 0
      ? []
      : await db
          .select({ runId: jobRunCalls.runId, attempt: jobRunCalls.attempt, status: jobRunCalls.responseStatus, durationMs: jobRunCalls.durationMs, error: jobRunCalls.error, body: jobRunCalls.responseBody, at: jobRunCalls.createdAt })
          .from(jobRunCalls)
          .where(inArray(jobRunCalls.runId, runIds))
          .orderBy(asc(jobRunCalls.createdAt))
          .limit(runIds.length * CALLS_PER_DELIVERY);
  const last = page.at(-1);
  return {
    deliveries: page.map((r) => ({
      id: r.id,
      event: r.event,
      status: r.status,
      attempts: r.attempts,
      lastResponseStatus: r.lastResponseStatus,
      lastDurationMs: r.lastDurationMs,
      lastResponseExcerpt: cut(r.lastResponseExcerpt),
      createdAt: r.createdAt.toISOString(),
      lastAttemptAt: r.lastAttemptAt?.toISOString() ?? null,
      sourceRunId: r.sourceRunId,
      run: r.runStatus && r.projectSlug ? { id: r.runId, status: r.runStatus, projectSlug: r.projectSlug } : null,
      // Call rows are stored redacted by the worker.
      tries: calls
        .filter((c) => c.runId === r.runId)
        .map((c) => ({ attempt: c.attempt, status: c.status, durationMs: c.durationMs, error: cut(c.error), responseExcerpt: cut(c.body), at: c.at.toISOString() })),
    })),
    nextCursor: rows.length > DELIVERIES_PAGE_SIZE && last ? Buffer.from(JSON.stringify({ t: last.exactTime, id: last.id })).toString("base64url") : null,
  };
}
