import dbPruning from "./db-pruning";
import notificationDelivery from "./notification-delivery";
import partitionCreation from "./partition-creation";
import softDeleteCleanup from "./soft-delete-cleanup";
import webhookDelivery from "./webhook-delivery";

/** Runboard's own jobs (seed 002): not visible to tenants; operators use `npm run system`. */
export const SYSTEM_JOBS = [notificationDelivery, partitionCreation, dbPruning, softDeleteCleanup, webhookDelivery] as const;
