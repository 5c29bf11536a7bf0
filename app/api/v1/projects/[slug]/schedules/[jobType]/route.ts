import { apiRoute, json } from "@/lib/api/handler";
import { refusalResponse, scheduleBody, scheduleParams } from "@/lib/api/schedules";
import { deleteProjectSchedule, saveProjectSchedule } from "@/lib/dal/schedules";

/** PUT /api/v1/projects/{slug}/schedules/{jobType}: set (create or replace) the job type's cron and payload (jobs:write). */
export const PUT = apiRoute({ params: scheduleParams, body: scheduleBody }, async ({ params, body }) => {
  const outcome = await saveProjectSchedule(params.slug, { jobType: params.jobType, cron: body.cron, payload: body.payload });
  return outcome.ok ? json({ schedule: outcome.schedule }) : refusalResponse(params.slug, params.jobType, outcome);
});

/** DELETE /api/v1/projects/{slug}/schedules/{jobType}: remove the schedule (jobs:write). */
export const DELETE = apiRoute({ params: scheduleParams }, async ({ params }) => {
  const outcome = await deleteProjectSchedule(params.slug, params.jobType);
  return outcome.ok ? new Response(null, { status: 204 }) : refusalResponse(params.slug, params.jobType, outcome);
});
