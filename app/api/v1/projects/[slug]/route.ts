import { apiRoute } from "@/lib/api/handler";
import { projectResponse } from "@/lib/api/projects";
import { projectNameBody, projectParams } from "@/lib/api/schemas";
import { deleteProject, renameProject } from "@/lib/dal/projects";

/** PATCH /api/v1/projects/{slug}: rename (scope team:manage); the slug stays. */
export const PATCH = apiRoute({ params: projectParams, body: projectNameBody }, async ({ params, body }) => projectResponse(await renameProject(params.slug, body.name)));

/** DELETE /api/v1/projects/{slug}: soft-delete (scope team:manage); restorable for 7 days; 409 while a run is active. */
export const DELETE = apiRoute({ params: projectParams }, async ({ params }) => projectResponse(await deleteProject(params.slug)));
