import { z } from "zod";
import { defineJob } from "../define";

export const notificationDeliveryPayload = z.object({ notificationId: z.uuid() });
export type NotificationDeliveryPayload = z.output<typeof notificationDeliveryPayload>;

export default defineJob({
  name: "notification_delivery",
  label: "Notification delivery",
  description: "Sends one queued email from the outbox over SMTP; without SMTP configured it is kept as unsent.",
  scope: "system",
  payload: notificationDeliveryPayload,
  // Seed 000 scenario 3: a delivery that fails three times keeps its last error for support.
  retry: { limit: 2, delaySeconds: 10, backoff: true },
  schedule: null,
  // Every message is its own run.
  overlap: "none",
  // One SMTP exchange; nodemailer's own timeouts end it well before this.
  timeoutSeconds: 5 * 60,
  resource: (p) => ({ type: "notification", id: p.notificationId }),
  handler: () => import("./notification-delivery.handler"),
});
