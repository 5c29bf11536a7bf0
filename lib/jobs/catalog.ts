import { z } from "zod";
import type { JobDefinition } from "./types";

/** Infers the payload type for `resource` and keeps the literal name for JobName. */
function defineJob<const N extends string, P extends z.ZodType>(def: JobDefinition<P> & { name: N }): JobDefinition<P> & { name: N } {
  return def;
}

/** Max size of a file uploaded for an import; enforced before anything is stored. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

const contactsImport = defineJob({
  name: "contacts_import",
  label: "Import contacts",
  description: "Imports a CSV or JSON file of contacts row by row; invalid rows are counted and reported, valid ones upserted by email.",
  scope: "project",
  payload: z.object({
    fileId: z.uuid().meta({ title: "File (CSV or JSON)", input: "file", accept: ".csv,.json,text/csv,application/json" }),
  }),
  retry: { limit: 2, delaySeconds: 5, backoff: true },
  schedule: null,
  preventOverlap: true,
  resource: (p) => ({ type: "file", id: p.fileId }),
});

const runsExport = defineJob({
  name: "runs_export",
  label: "Export run history",
  description: "Writes the project's job run history to a CSV file you can download from the run page.",
  scope: "project",
  payload: z.object({
    days: z.number().int().min(1).max(3650).default(30).meta({ title: "Days of history" }),
    includeErrors: z.boolean().default(true).meta({ title: "Include error messages" }),
  }),
  retry: { limit: 2, delaySeconds: 5, backoff: true },
  schedule: null,
  preventOverlap: true,
  resource: (_p, projectId) => (projectId ? { type: "project", id: projectId } : null),
});

const demoPaced = defineJob({
  name: "demo_paced",
  label: "Demo: paced run",
  description: "Demo only: steps through a number of items at a fixed pace so you can watch progress, stages and cancel. It changes no data.",
  scope: "project",
  payload: z.object({
    items: z.number().int().min(1).max(1000).default(20).meta({ title: "Items" }),
    msPerItem: z.number().int().min(10).max(5000).default(250).meta({ title: "Milliseconds per item" }),
  }),
  retry: { limit: 0, delaySeconds: 0, backoff: false },
  schedule: null,
  preventOverlap: true,
  demo: true,
  resource: () => null,
});

// ---------------------------------------------------------------------------------------------
// System jobs (seed 002): cron-scheduled, not visible to tenants; operators use `npm run system`.

const notificationDelivery = defineJob({
  name: "notification_delivery",
  label: "Notification delivery",
  description: "Sends one queued email from the outbox over SMTP; without SMTP configured it is kept as unsent.",
  scope: "system",
  payload: z.object({ notificationId: z.uuid() }),
  // Seed 000 scenario 3: a delivery that fails three times keeps its last error for support.
  retry: { limit: 2, delaySeconds: 10, backoff: true },
  schedule: null,
  // Every message is its own run.
  preventOverlap: false,
  resource: (p) => ({ type: "notification", id: p.notificationId }),
});

const partitionCreation = defineJob({
  name: "partition_creation",
  label: "Partition creation",
  description: "Creates the monthly partitions of the step history ahead of time.",
  scope: "system",
  payload: z.object({ monthsAhead: z.number().int().min(1).max(24).default(3) }),
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 4 * * *",
  preventOverlap: true,
  resource: () => null,
});

const dbPruning = defineJob({
  name: "db_pruning",
  label: "Database pruning",
  description: "Enforces retention: drops step-history months past the retention age and deletes the oldest finished runs while the database is over its size limit.",
  scope: "system",
  payload: z.object({
    retentionDays: z.number().int().min(1).max(3650).default(90),
    maxDatabaseMb: z.number().int().min(1).optional(),
  }),
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 * * * *",
  preventOverlap: true,
  resource: () => null,
});

const softDeleteCleanup = defineJob({
  name: "soft_delete_cleanup",
  label: "Soft-delete cleanup",
  description: "Hard-deletes projects (with their runs and files) soft-deleted more than 7 days ago.",
  scope: "system",
  payload: z.object({ olderThanDays: z.number().int().min(0).max(365).default(7) }),
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 3 * * *",
  preventOverlap: true,
  resource: () => null,
});

export const JOB_DEFINITIONS = [contactsImport, runsExport, demoPaced, notificationDelivery, partitionCreation, dbPruning, softDeleteCleanup] as const;

export type JobName = (typeof JOB_DEFINITIONS)[number]["name"];
export type JobPayload<N extends JobName> = z.output<Extract<(typeof JOB_DEFINITIONS)[number], { name: N }>["payload"]>;

const byName = new Map<string, JobDefinition>(JOB_DEFINITIONS.map((d) => [d.name, d as unknown as JobDefinition]));

export function getJobDefinition(name: string): JobDefinition | undefined {
  return byName.get(name);
}

export function projectJobDefinitions(): JobDefinition[] {
  return [...byName.values()].filter((d) => d.scope === "project");
}

export function systemJobDefinitions(): JobDefinition[] {
  return [...byName.values()].filter((d) => d.scope === "system");
}

/** A run gets the first attempt plus the retry limit. */
export function maxAttempts(def: JobDefinition): number {
  return def.retry.limit + 1;
}
