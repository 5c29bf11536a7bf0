import { boolean, index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { teams } from "./teams";
import { users } from "./users";
import { WEBHOOK_EVENTS } from "../../webhooks/events";

export { WEBHOOK_EVENTS, type WebhookEvent } from "../../webhooks/events";

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed", "skipped"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * A team's outbound webhook: where run-end events are POSTed, signed with `secret`. The secret is
 * kept as is (signing needs it) and shown to people once, at creation and at rotation.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    events: text("events", { enum: WEBHOOK_EVENTS }).array().notNull(),
    secret: text("secret").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    secretRotatedAt: tstz("secret_rotated_at"),
  },
  (t) => [index("webhook_endpoints_team_idx").on(t.teamId, t.createdAt.desc(), t.id.desc())],
);

/**
 * One event for one endpoint, sent by its own webhook_delivery run (`runId`). The body is fixed
 * when the event happens, so every attempt sends the same bytes; each attempt signs it anew. The
 * last attempt's outcome is kept here; every attempt is in the delivery run's call log.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    endpointId: uuid("endpoint_id").notNull().references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    /** The run the event is about; no foreign key, so retention can delete it and the record stays. */
    sourceRunId: uuid("source_run_id").notNull(),
    /** The webhook_delivery run that sends it. */
    runId: uuid("run_id").notNull(),
    event: text("event", { enum: WEBHOOK_EVENTS }).notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastResponseStatus: integer("last_response_status"),
    lastDurationMs: integer("last_duration_ms"),
    /** The start of the last response's body, or why there was none; redacted. */
    lastResponseExcerpt: text("last_response_excerpt"),
    lastAttemptAt: tstz("last_attempt_at"),
    createdAt: createdAt(),
  },
  (t) => [
    // The settings page: an endpoint's deliveries newest first, keyset on (created_at, id).
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt.desc(), t.id.desc()),
    index("webhook_deliveries_run_idx").on(t.runId),
  ],
);
