"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, userAction } from "@/lib/actions/safe-action";
import { commandWorker } from "@/lib/dal/workers";

const input = z.object({ workerId: z.string().min(1).max(300), action: z.enum(["quiet", "resume", "stop"]) });

/**
 * Quiet, resume or stop a worker. Signed in only here: the DAL checks that the caller is the
 * instance owner (support and tenants get "not found") before it writes and audits anything.
 */
export const commandWorkerAction = userAction(input, async ({ workerId, action }) => {
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
