import "server-only";
import { z } from "zod";
import { getProjectSchedules } from "@/lib/dal/schedules";
import { CRON_MAX_LENGTH } from "@/lib/jobs/cron";
import type { ScheduleRefusal } from "@/lib/jobs/project-schedules";
import { safeText } from "@/lib/validation/safe-text";
import { ApiError, json, notFound } from "./handler";
import { projectParams } from "./schemas";

export const scheduleParams = projectParams.extend({ jobType: safeText().min(1).max(100) });

export const scheduleBody = z.object({
  cron: z.string().max(CRON_MAX_LENGTH, `A cron expression is at most ${CRON_MAX_LENGTH} characters.`),
  /** Validated by the job type's own schema; absent means its defaults. */
  payload: z.record(z.string(), z.unknown()).optional(),
});

/** A schedule refusal as the API's error shape: 422 with field errors, 404, or the current state when nothing changed. */
export async function refusalResponse(slug: string, jobType: string, refusal: ScheduleRefusal): Promise<Response> {
  if (refusal.code === "invalid") throw new ApiError(422, "invalid", refusal.message, { fieldErrors: refusal.fieldErrors });
  if (refusal.code === "unchanged") {
    // Pausing a paused schedule (or resuming a running one) is already done: answer its state.
    const schedule = (await getProjectSchedules(slug)).find((s) => s.jobType === jobType);
    if (schedule) return json({ schedule });
  }
  throw notFound();
}
