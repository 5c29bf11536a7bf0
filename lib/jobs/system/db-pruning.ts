import { z } from "zod";
import { defineJob } from "../define";

export const dbPruningPayload = z.object({
  retentionDays: z.number().int().min(1).max(3650).default(90),
  maxDatabaseMb: z.number().int().min(1).optional(),
});
export type DbPruningPayload = z.output<typeof dbPruningPayload>;

export default defineJob({
  name: "db_pruning",
  label: "Database pruning",
  description: "Enforces retention: drops step-history months past the retention age and deletes the oldest finished runs while the database is over its size limit.",
  scope: "system",
  payload: dbPruningPayload,
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 * * * *",
  overlap: "project",
  // Scheduled hourly: an attempt must end before the next tick.
  timeoutSeconds: 50 * 60,
  handler: () => import("./db-pruning.handler"),
});
