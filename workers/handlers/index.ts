import type { JobName } from "@/lib/jobs/catalog";
import type { JobHandler } from "../context";
import { contactsImport } from "./contacts-import";
import { dbPruning } from "./db-pruning";
import { demoPaced } from "./demo-paced";
import { notificationDelivery } from "./notification-delivery";
import { partitionCreation } from "./partition-creation";
import { runsExport } from "./runs-export";
import { softDeleteCleanup } from "./soft-delete-cleanup";

/** Handlers by job type; the worker alone loads this. A missing entry fails type-checking. */
export const HANDLERS: { [N in JobName]: JobHandler<N> } = {
  contacts_import: contactsImport,
  runs_export: runsExport,
  demo_paced: demoPaced,
  notification_delivery: notificationDelivery,
  partition_creation: partitionCreation,
  db_pruning: dbPruning,
  soft_delete_cleanup: softDeleteCleanup,
};
