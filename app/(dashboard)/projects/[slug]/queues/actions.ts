"use server";

import { z } from "zod";
import { projectAction } from "@/lib/actions/safe-action";
import { setProjectQueueControl, type QueueControlView } from "@/lib/dal/queues";
import { controlChange, queueControlFields } from "@/lib/validation/queue-control";

const input = z.object({ projectSlug: z.string(), ...queueControlFields });

/** Pause, resume or limit one of the project's job types (jobs:write; audited by the DAL). */
export const setProjectQueueControlAction = projectAction("jobs:write", input, async (data, { access }): Promise<QueueControlView> => {
  return setProjectQueueControl(access.project.slug, controlChange(data));
});
