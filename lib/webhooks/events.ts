/** Run-end events a webhook endpoint can subscribe to, one per terminal status (shared by schema, DAL and forms). */
export const WEBHOOK_EVENTS = ["run.completed", "run.failed", "run.dead_letter", "run.cancelled"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
