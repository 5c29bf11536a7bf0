import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { alertRules } from "./alert-rules";
import { createdAt, id, tstz } from "./columns";
import { jobRuns } from "./job-runs";

export const NOTIFICATION_STATUSES = ["pending", "sent", "failed", "unsent"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * The outbox: every email Runboard means to send is written here first (seed 002's per-trigger
 * and system alerts). A notification_delivery run sends it; without SMTP it stays `unsent`,
 * visible to operators, never silently dropped.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: id(),
    /** The run the message is about (null for messages about no run, e.g. invites and password resets). */
    runId: uuid("run_id").references(() => jobRuns.id, { onDelete: "set null" }),
    kind: text("kind", { enum: ["run_finished", "system_alert", "invite", "password_reset", "alert", "alert_digest"] }).notNull(),
    /** The team alert rule that wrote it (kinds `alert` and `alert_digest`). */
    alertRuleId: uuid("alert_rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    toEmail: text("to_email").notNull(),
    subject: text("subject").notNull(),
    bodyText: text("body_text").notNull(),
    status: text("status", { enum: NOTIFICATION_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    sentAt: tstz("sent_at"),
    createdAt: createdAt(),
  },
  (t) => [
    // The outbox page: newest first, with or without a status filter, keyset on (created_at, id).
    index("notifications_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    index("notifications_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("notifications_run_idx").on(t.runId),
    // A rule's recent emails (the Alerts tab), newest first.
    index("notifications_alert_rule_idx").on(t.alertRuleId, t.createdAt.desc()).where(sql`${t.alertRuleId} is not null`),
  ],
);
