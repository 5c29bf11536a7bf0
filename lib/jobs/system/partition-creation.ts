import { z } from "zod";
import { defineJob } from "../define";

export const partitionCreationPayload = z.object({ monthsAhead: z.number().int().min(1).max(24).default(3) });
export type PartitionCreationPayload = z.output<typeof partitionCreationPayload>;

export default defineJob({
  name: "partition_creation",
  label: "Partition creation",
  description: "Creates the monthly partitions of the step history ahead of time.",
  scope: "system",
  payload: partitionCreationPayload,
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  schedule: "0 4 * * *",
  overlap: "project",
  // A few CREATE TABLE statements; a lock wait longer than this is better retried.
  timeoutSeconds: 10 * 60,
  handler: () => import("./partition-creation.handler"),
});
