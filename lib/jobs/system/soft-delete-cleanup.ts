import { z } from "zod";
import { defineJob } from "../define";

export const softDeleteCleanupPayload = z.object({ olderThanDays: z.number().int().min(0).max(365).default(7) });
export type SoftDeleteCleanupPayload = z.output<typeof softDeleteCleanupPayload>;

export default defineJob({
  name: "soft_delete_cleanup",
  label: "Soft-delete cleanup",
  description: "Hard-deletes projects (with their runs and files) soft-deleted more than 7 days ago.",
  scope: "system",
  payload: softDeleteCleanupPayload,
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 3 * * *",
  overlap: "project",
  // Daily; deletes cascade through big projects' runs, so give it time.
  timeoutSeconds: 60 * 60,
  handler: () => import("./soft-delete-cleanup.handler"),
});
