import { z } from "zod";
import type { QueueControlView, QueuesView } from "@/lib/dal/queues";
import { safeText } from "@/lib/validation/safe-text";
import { projectParams } from "./schemas";

/** The Queues part of the /api/v1 contract (docs/queues.md); lib/api/openapi.ts documents it. */

export const queueParams = projectParams.extend({ jobType: safeText().min(1).max(100) });

export const queueControlBody = z
  .object({
    paused: z.boolean().optional().meta({ description: "true: new runs are accepted and wait; false: they run again." }),
    concurrencyLimit: z.number().int().min(1).max(10_000).nullable().optional().meta({ description: "At most this many runs of the job type running at once in the project; null for no limit." }),
  })
  .strict()
  .refine((b) => b.paused !== undefined || b.concurrencyLimit !== undefined, "Give paused, concurrencyLimit or both.")
  .meta({ id: "QueueControlRequest" });

const controlSchema = z.object({ paused: z.boolean(), concurrencyLimit: z.number().int().nullable() });

export const queueControlSchema = controlSchema.meta({ id: "QueueControl" });

export const queuesViewSchema = z
  .object({
    rows: z.array(
      z.object({
        jobType: z.string(),
        label: z.string(),
        pending: z.number().int(),
        retrying: z.number().int().meta({ description: "Pending, waiting for a retry's time." }),
        running: z.number().int(),
        failed24h: z.number().int(),
        deadLetter24h: z.number().int(),
        oldestPendingSeconds: z.number().int().nullable(),
        finishedPerMinute: z.number().meta({ description: "Averaged over the last 15 minutes." }),
        workers: z.number().int().meta({ description: "Live workers serving the job type." }),
        control: controlSchema,
        instanceControl: controlSchema.nullable().meta({ description: "The instance owner's control of the job type, if any." }),
      }),
    ),
    countCap: z.number().int().meta({ description: "Counts above this are reported as countCap + 1." }),
  })
  .meta({ id: "Queues" });

export function queuesBody(view: QueuesView): z.infer<typeof queuesViewSchema> {
  return { rows: view.rows.map(({ scope: _scope, ...row }) => row), countCap: view.countCap };
}

// The response schemas describe the DAL's DTOs: a drift fails to compile here.
const _control: z.infer<typeof queueControlSchema> = null as unknown as QueueControlView;
void _control;
