import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { projects } from "./projects";
import { teams } from "./teams";
import { users } from "./users";

/** The run ends a rule can alert on. */
export const ALERT_STATUSES = ["failed", "dead_letter"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Who a rule emails: the team's owners and admins, or the members it names. */
export const ALERT_RECIPIENTS = ["admins", "members"] as const;
export type AlertRecipients = (typeof ALERT_RECIPIENTS)[number];

/**
 * A team's alert rule (docs/alerts.md): email people when a run of the chosen job types ends
 * failed or dead-lettered, at most once per job type per throttle window; what the window held
 * back goes out as one digest when it ends.
 */
export const alertRules = pgTable(
  "alert_rules",
  {
    id: id(),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    jobTypes: text("job_types").array().notNull(),
    /** Null: every project of the team. */
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    statuses: text("statuses", { enum: ALERT_STATUSES }).array().notNull(),
    recipients: text("recipients", { enum: ALERT_RECIPIENTS }).notNull().default("admins"),
    /** With `members`: who; each must still be a member holding jobs:read when an email is written. */
    recipientIds: uuid("recipient_ids").array().notNull().default(sql`'{}'::uuid[]`),
    /** Seconds, so the engine is exact; people choose whole minutes (lib/dal/alerts.ts). */
    throttleSeconds: integer("throttle_seconds").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("alert_rules_team_idx").on(t.teamId, t.createdAt),
    // The settle path asks "does any enabled rule name one of these job types?" for failed ends.
    index("alert_rules_enabled_types_idx").using("gin", t.jobTypes).where(sql`${t.enabled}`),
    check("alert_rules_throttle_positive", sql`${t.throttleSeconds} > 0`),
  ],
);

/**
 * A rule's throttle state per job type. The first matching failure opens the window and is
 * emailed at once; later ones are counted here until the window ends, when a worker's sweep sends
 * them as one digest and opens the next window (lib/notify/alerts.ts).
 */
export const alertWindows = pgTable(
  "alert_windows",
  {
    ruleId: uuid("rule_id").notNull().references(() => alertRules.id, { onDelete: "cascade" }),
    jobType: text("job_type").notNull(),
    windowEndsAt: tstz("window_ends_at").notNull(),
    /** Held back for the digest; while above zero the window stays shut, even past its end. */
    suppressed: integer("suppressed").notNull().default(0),
    suppressedDeadLetter: integer("suppressed_dead_letter").notNull().default(0),
    firstSuppressedAt: tstz("first_suppressed_at"),
    lastSuppressedAt: tstz("last_suppressed_at"),
    /** The first few held-back runs, for the digest's examples. */
    sampleRunIds: uuid("sample_run_ids").array().notNull().default(sql`'{}'::uuid[]`),
  },
  (t) => [
    primaryKey({ columns: [t.ruleId, t.jobType] }),
    // Digests due: the sweep probes this on every tick, and it holds only windows with something held back.
    index("alert_windows_due_idx").on(t.windowEndsAt).where(sql`${t.suppressed} > 0`),
  ],
);
