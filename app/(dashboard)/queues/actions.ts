"use server";

import { z } from "zod";
import { instanceAction } from "@/lib/actions/safe-action";
import { setInstanceQueueControl, type QueueControlView } from "@/lib/dal/queues";
import { controlChange, queueControlFields } from "@/lib/validation/queue-control";

const input = z.object(queueControlFields);

/** Pause, resume or limit a job type for the whole instance, system ones included (queues:manage). */
export const setInstanceQueueControlAction = instanceAction("queues:manage", input, async (data): Promise<QueueControlView> => {
  return setInstanceQueueControl(controlChange(data));
});
