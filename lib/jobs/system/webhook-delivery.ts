import { z } from "zod";
import { defineJob } from "../define";

export const webhookDeliveryPayload = z.object({ deliveryId: z.uuid() });
export type WebhookDeliveryPayload = z.output<typeof webhookDeliveryPayload>;

export default defineJob({
  name: "webhook_delivery",
  label: "Webhook delivery",
  description: "POSTs one signed run-end event to a team's webhook endpoint; retried with backoff, then dead-lettered.",
  scope: "system",
  payload: webhookDeliveryPayload,
  // Five attempts over about a quarter of an hour (30 s, 1, 2, 4 min, with jitter), then dead letter.
  retry: { limit: 4, delaySeconds: 30, backoff: true },
  schedule: null,
  // Every event is its own run.
  overlap: "none",
  // One POST with a 10 s timeout; this only bounds a stuck attempt.
  timeoutSeconds: 2 * 60,
  resource: (p) => ({ type: "webhook_delivery", id: p.deliveryId }),
  handler: () => import("./webhook-delivery.handler"),
});
