import { index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { apiKeys } from "./api-keys";
import { jobRuns } from "./job-runs";
import { teams } from "./teams";
import { users } from "./users";

export const AUDIT_ACTIONS = [
  "member.role_changed",
  "member.grants_changed",
  "member.removed",
  "member.joined",
  "invite.created",
  "invite.revoked",
  "api_key.created",
  "api_key.revoked",
  "run.triggered",
  "run.cancelled",
  "run.retried",
  "run.retry_now",
  "user.disabled",
  "user.enabled",
  "user.password_changed",
  "user.password_reset",
  "schedule.set",
  "schedule.paused",
  "schedule.resumed",
  "schedule.removed",
  "system_schedule.paused",
  "system_schedule.resumed",
  "system_job.run_now",
  "worker.quieted",
  "worker.resumed",
  "worker.stop_requested",
  "queue.control_changed",
  "webhook.created",
  "webhook.updated",
  "webhook.secret_rotated",
  "webhook.deleted",
  "alert_rule.created",
  "alert_rule.updated",
  "alert_rule.deleted",
  "team.created",
  "project.created",
  "project.renamed",
  "project.deleted",
  "project.restored",
  "project.purged",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who did what, when: permission changes on a team's settings page and run actions (trigger,
 * cancel, retry) shown as the run's audit trail. Written in the same transaction as the change.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: id(),
    teamId: uuid("team_id").references(() => teams.id, { onDelete: "cascade" }),
    runId: uuid("run_id").references(() => jobRuns.id, { onDelete: "cascade" }),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    actorApiKeyId: uuid("actor_api_key_id").references(() => apiKeys.id, { onDelete: "set null" }),
    /** The member a permission change was about, when there is one. */
    subjectUserId: uuid("subject_user_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("audit_events_team_idx").on(t.teamId, t.createdAt.desc(), t.id.desc()), index("audit_events_run_idx").on(t.runId, t.createdAt)],
);
