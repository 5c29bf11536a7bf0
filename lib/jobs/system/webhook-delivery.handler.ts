import { eq, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "@/lib/db/schema";
import { getJobDefinition, maxAttempts } from "@/lib/jobs/catalog";
import { JobError } from "@/lib/jobs/errors";
import { redactText } from "@/lib/jobs/redact";
import type { JobHandler } from "@/lib/jobs/define";
import { SIGNATURE_HEADER, signatureHeader } from "@/lib/webhooks/signature";
import type { WebhookDeliveryPayload } from "./webhook-delivery";

/** A receiver gets this long to answer; a hanging one fails the attempt, which is retried. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Bytes of the response kept on the delivery; the rest is never read. */
const EXCERPT_BYTES = 1024;

const def = getJobDefinition("webhook_delivery");
const LAST_ATTEMPT = def ? maxAttempts(def) : 1;

/** The start of a body, bounded in bytes and time: a 10 MB or never-ending answer costs nothing more. */
async function excerptOf(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off or timed out: what arrived is the excerpt.
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES), { stream: true });
  return redactText(text.replace(/\u0000/g, ""));
}

/**
 * Send one webhook delivery: POST the stored body to the endpoint through ctx.fetch (so the
 * outbound guard refuses private targets and every try is in the call log), signed for this
 * attempt. A 2xx completes it; anything else fails the attempt, which the catalog's retry policy
 * retries with backoff and finally dead-letters. A deleted or disabled endpoint ends it quietly.
 */
const webhookDelivery: JobHandler<WebhookDeliveryPayload> = async (ctx) => {
  const { deliveryId } = ctx.payload;
  const [row] = await ctx.db
    .select({ body: webhookDeliveries.body, status: webhookDeliveries.status, url: webhookEndpoints.url, secret: webhookEndpoints.secret, enabled: webhookEndpoints.enabled, event: webhookDeliveries.event })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row) return { delivered: false, reason: "The endpoint was deleted" };
  // A re-drive after a success must not send the event twice.
  if (row.status === "delivered") return { delivered: true, alreadyDelivered: true };
  if (!row.enabled) {
    await ctx.db.update(webhookDeliveries).set({ status: "skipped", lastResponseExcerpt: "The endpoint is disabled" }).where(eq(webhookDeliveries.id, deliveryId));
    return { delivered: false, reason: "The endpoint is disabled" };
  }

  const started = performance.now();
  let status: number | null = null;
  let excerpt = "";
  let failure: unknown = null;
  try {
    const response = await ctx.fetch(
      row.url,
      {
        method: "POST",
        body: row.body,
        // Not followed: a receiver that moved must be updated, and a redirect must not carry the event elsewhere.
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          "user-agent": "Runboard-Webhooks/1",
          [SIGNATURE_HEADER]: signatureHeader(row.secret, row.body),
          "Runboard-Event": row.event,
          "Runboard-Delivery": deliveryId,
        },
      },
      { timeoutMs: REQUEST_TIMEOUT_MS },
    );
    status = response.status;
    excerpt = await excerptOf(response, AbortSignal.any([ctx.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]));
  } catch (error) {
    failure = error;
    excerpt = redactText(error instanceof Error ? error.message : String(error));
  }
  const ok = status !== null && status >= 200 && status < 300;
  const retryable = !(failure instanceof JobError) || failure.retryable !== false;
  const final = ok ? "delivered" : ctx.attempt >= LAST_ATTEMPT || !retryable ? "failed" : "pending";
  await ctx.db
    .update(webhookDeliveries)
    .set({
      status: final,
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastResponseStatus: status,
      lastDurationMs: Math.round(performance.now() - started),
      lastResponseExcerpt: excerpt.slice(0, EXCERPT_BYTES),
      lastAttemptAt: sql`now()`,
    })
    .where(eq(webhookDeliveries.id, deliveryId));
  if (failure) throw failure;
  if (!ok) throw new JobError(`The endpoint answered ${status}`, { type: "api_error", source: "external_service", subType: "webhook_rejected", severity: 2, retryable: true });
  return { delivered: true, status };
};

export default webhookDelivery;
