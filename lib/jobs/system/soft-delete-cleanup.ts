import { z } from "zod";
import { defineJob } from "../define";

/** Seed 002: a deleted project can be restored for 7 days; cleanup removes it after that. */
export const SOFT_DELETE_GRACE_DAYS = 7;

export const softDeleteCleanupPayload = z.object({ olderThanDays: z.number().int().min(0).max(365).default(SOFT_DELETE_GRACE_DAYS) });
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
