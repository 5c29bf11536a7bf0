"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, projectAction } from "@/lib/actions/safe-action";
import { deleteProjectSchedule, pauseProjectSchedule, saveProjectSchedule } from "@/lib/dal/schedules";
import { CRON_MAX_LENGTH } from "@/lib/jobs/cron";
import { MAX_SCHEDULE_PAYLOAD_BYTES } from "@/lib/jobs/project-schedules";

const jobType = z.string().min(1, "Choose a job type.").max(100, "That job type does not exist.");

const saveInput = z.object({
  projectSlug: z.string(),
  jobType,
  cron: z.string().max(CRON_MAX_LENGTH, `A cron expression is at most ${CRON_MAX_LENGTH} characters.`),
  payload: z.string().max(MAX_SCHEDULE_PAYLOAD_BYTES, `The payload is at most ${MAX_SCHEDULE_PAYLOAD_BYTES / 1024} KB of JSON.`).optional(),
});

/** Set (create or change) the project's schedule for a job type; the DAL checks jobs:write again. */
export const saveScheduleAction = projectAction("jobs:write", saveInput, async (input) => {
  let payload: unknown;
  if (input.payload?.trim()) {
    try {
      payload = JSON.parse(input.payload);
    } catch {
      throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: { payload: ['The payload is not valid JSON, e.g. {"days": 7}. Leave it empty to use the defaults.'] } });
    }
  }
  const outcome = await saveProjectSchedule(input.projectSlug, { jobType: input.jobType, cron: input.cron, payload });
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code, fieldErrors: outcome.fieldErrors });
  revalidatePath(`/projects/${input.projectSlug}/jobs`);
  return { message: `${outcome.schedule.label} runs on "${outcome.schedule.cron}" (UTC)${outcome.schedule.paused ? ", paused" : ""}.` };
});

const pauseInput = z.object({ projectSlug: z.string(), jobType, paused: z.enum(["true", "false"]).transform((v) => v === "true") });

export const pauseScheduleAction = projectAction("jobs:write", pauseInput, async (input) => {
  const outcome = await pauseProjectSchedule(input.projectSlug, input.jobType, input.paused);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code });
  revalidatePath(`/projects/${input.projectSlug}/jobs`);
  return { message: input.paused ? `Paused the ${outcome.schedule.label} schedule.` : `Resumed the ${outcome.schedule.label} schedule.` };
});

const removeInput = z.object({ projectSlug: z.string(), jobType });

export const removeScheduleAction = projectAction("jobs:write", removeInput, async (input) => {
  const outcome = await deleteProjectSchedule(input.projectSlug, input.jobType);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code });
  revalidatePath(`/projects/${input.projectSlug}/jobs`);
  return { message: "Schedule removed." };
});
