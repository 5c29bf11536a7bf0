import { z } from "zod";
import { defineJob } from "@/lib/jobs/define";

/** Max size of a file uploaded for an import; enforced before anything is stored. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

export const contactsImportPayload = z.object({
  fileId: z.uuid().meta({ title: "File (CSV or JSON)", input: "file", accept: ".csv,.json,text/csv,application/json" }),
});
export type ContactsImportPayload = z.output<typeof contactsImportPayload>;

export default defineJob({
  name: "contacts_import",
  label: "Import contacts",
  description: "Imports a CSV or JSON file of contacts row by row; invalid rows are counted and reported, valid ones upserted by email.",
  scope: "project",
  payload: contactsImportPayload,
  retry: { limit: 2, delaySeconds: 5, backoff: true },
  schedule: null,
  // Two different files may import at once; the same file (same name and content) waits its turn.
  overlap: "resource",
  // A 10 MiB file imports in seconds; an attempt still going after this is stuck.
  timeoutSeconds: 15 * 60,
  resource: (p) => ({ type: "file", id: p.fileId }),
  handler: () => import("./contacts-import.handler"),
});
