import { apiRoute } from "@/lib/api/handler";
import { projectResponse } from "@/lib/api/projects";
import { projectParams } from "@/lib/api/schemas";
import { restoreProject } from "@/lib/dal/projects";

/** POST /api/v1/projects/{slug}/restore: undo a delete within 7 days (scope team:manage). */
export const POST = apiRoute({ params: projectParams }, async ({ params }) => projectResponse(await restoreProject(params.slug)));
