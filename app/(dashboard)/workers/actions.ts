"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, instanceAction } from "@/lib/actions/safe-action";
import { commandWorker } from "@/lib/dal/workers";

const input = z.object({ workerId: z.string().min(1).max(300), action: z.enum(["quiet", "resume", "stop"]) });

/** Quiet, resume or stop a worker (workers:manage: the instance owner); the DAL checks it again. */
export const commandWorkerAction = instanceAction("workers:manage", input, async ({ workerId, action }) => {
  const outcome = await commandWorker(workerId, action);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code });
  revalidatePath("/workers");
  const within = `within ${outcome.actsWithinSeconds} s`;
  return {
    message:
      action === "quiet"
        ? `${outcome.name} will stop taking new runs ${within} and finish the ones it holds.`
        : action === "resume"
          ? `${outcome.name} will take new runs again ${within}.`
          : `${outcome.name} will finish the runs it holds and stop; it reads this ${within}.`,
  };
});
