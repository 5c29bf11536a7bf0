import { apiRoute, json } from "@/lib/api/handler";
import { refusalResponse, scheduleParams } from "@/lib/api/schedules";
import { pauseProjectSchedule } from "@/lib/dal/schedules";

/** POST /api/v1/projects/{slug}/schedules/{jobType}/resume (jobs:write); idempotent. */
export const POST = apiRoute({ params: scheduleParams }, async ({ params }) => {
  const outcome = await pauseProjectSchedule(params.slug, params.jobType, false);
  return outcome.ok ? json({ schedule: outcome.schedule }) : refusalResponse(params.slug, params.jobType, outcome);
});
