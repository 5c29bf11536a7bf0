import { apiRoute, json } from "@/lib/api/handler";
import { projectParams } from "@/lib/api/schemas";
import { getProjectSchedules } from "@/lib/dal/schedules";

/** GET /api/v1/projects/{slug}/schedules: the project's cron schedules with next run, last tick and skipped ticks (jobs:read). */
export const GET = apiRoute({ params: projectParams }, async ({ params }) => json({ schedules: await getProjectSchedules(params.slug) }));
