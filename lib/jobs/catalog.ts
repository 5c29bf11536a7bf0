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

export const JOB_DEFINITIONS = [contactsImport, runsExport, demoPaced] as const;

export type JobName = (typeof JOB_DEFINITIONS)[number]["name"];
export type JobPayload<N extends JobName> = z.output<Extract<(typeof JOB_DEFINITIONS)[number], { name: N }>["payload"]>;

const byName = new Map<string, JobDefinition>(JOB_DEFINITIONS.map((d) => [d.name, d as unknown as JobDefinition]));

export function getJobDefinition(name: string): JobDefinition | undefined {
  return byName.get(name);
}

export function projectJobDefinitions(): JobDefinition[] {
  return [...byName.values()].filter((d) => d.scope === "project");
}

/** A run gets the first attempt plus the retry limit. */
export function maxAttempts(def: JobDefinition): number {
  return def.retry.limit + 1;
}
