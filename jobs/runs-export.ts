import { z } from "zod";
import { defineJob } from "@/lib/jobs/define";

export const runsExportPayload = z.object({
  days: z.number().int().min(1).max(3650).default(30).meta({ title: "Days of history" }),
  includeErrors: z.boolean().default(true).meta({ title: "Include error messages" }),
});
export type RunsExportPayload = z.output<typeof runsExportPayload>;

export default defineJob({
  name: "runs_export",
  label: "Export run history",
  description: "Writes the project's job run history to a CSV file you can download from the run page.",
  scope: "project",
  payload: runsExportPayload,
  retry: { limit: 2, delaySeconds: 5, backoff: true },
  schedule: null,
  overlap: "project",
  // Bounded at 200,000 rows, written in batches: minutes at most.
  timeoutSeconds: 15 * 60,
  resource: (_p, projectId) => (projectId ? { type: "project", id: projectId } : null),
  handler: () => import("./runs-export.handler"),
});
