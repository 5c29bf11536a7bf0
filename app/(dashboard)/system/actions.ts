"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, instanceAction } from "@/lib/actions/safe-action";
import { pauseSystemSchedule, runSystemJob } from "@/lib/dal/schedules";

const jobType = z.string().min(1).max(100, "That system job type does not exist.");

/** Pause or resume a system schedule (instance owner); the same code path as `runboard system pause|resume`. */
export const pauseSystemScheduleAction = instanceAction("schedules:manage", z.object({ jobType, paused: z.enum(["true", "false"]).transform((v) => v === "true") }), async ({ jobType, paused }) => {
  const outcome = await pauseSystemSchedule(jobType, paused);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code });
  revalidatePath("/system");
  return { message: paused ? `Paused ${outcome.label}: no ticks until it is resumed.` : `Resumed ${outcome.label}.` };
});

/** Start a system job now with its defaults (instance owner), as `runboard system run` does. */
export const runSystemJobAction = instanceAction("schedules:manage", z.object({ jobType }), async ({ jobType }) => {
  const outcome = await runSystemJob(jobType);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code, existingRunId: outcome.existingRunId });
  revalidatePath("/system");
  return { message: `Started ${outcome.label}: run ${outcome.runId.slice(0, 8)}.` };
});
