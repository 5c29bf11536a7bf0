import { bigint, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { billingAccounts } from "./billing-accounts";
import { createdAt, id, tstz } from "./columns";
import { projects } from "./projects";

/** Subscriptions as the provider last reported them; written only by the subscription_sync job. */
export const subscriptions = pgTable(
  "subscriptions",
  {
    id: id(),
    projectId: uuid("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    billingAccountId: uuid("billing_account_id").notNull().references(() => billingAccounts.id, { onDelete: "cascade" }),
    /** The provider's id; one row per project and id. */
    externalId: text("external_id").notNull(),
    customer: text("customer").notNull(),
    plan: text("plan").notNull(),
    status: text("status").notNull(),
    /** In the currency's minor units (cents), as providers send amounts. */
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    currentPeriodEnd: tstz("current_period_end"),
    /** The provider's own last-change time for the subscription. */
    providerUpdatedAt: tstz("provider_updated_at").notNull(),
    createdAt: createdAt(),
    /** When a sync last changed this row (not when it last saw it). */
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("subscriptions_project_external_key").on(t.projectId, t.externalId), index("subscriptions_account_idx").on(t.billingAccountId, t.id)],
);
