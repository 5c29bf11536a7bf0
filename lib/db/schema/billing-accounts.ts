import { pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./columns";
import { projects } from "./projects";

/**
 * A project's account at the subscription provider: the resource a subscription_sync run works
 * on. Its id is derived from (project, external id) (lib/subscriptions/account-id.ts), so a run's
 * resource is known from its payload before the row exists; the sync writes the row.
 */
export const billingAccounts = pgTable(
  "billing_accounts",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    /** The provider's id for the account (the `account` of the sync's payload). */
    externalId: text("external_id").notNull(),
    lastSyncedAt: tstz("last_synced_at"),
    createdAt: createdAt(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("billing_accounts_project_external_key").on(t.projectId, t.externalId)],
);
