import { apiRoute, json } from "@/lib/api/handler";
import { projectResponse } from "@/lib/api/projects";
import { projectNameBody } from "@/lib/api/schemas";
import { listKeyProjects } from "@/lib/dal/api-keys";
import { createProject } from "@/lib/dal/projects";

/** GET /api/v1/projects: the projects of the key's team. */
export const GET = apiRoute({}, async () => json({ projects: await listKeyProjects() }));

/** POST /api/v1/projects: create a project in the key's team (scope team:manage). */
export const POST = apiRoute({ body: projectNameBody }, async ({ body }) => projectResponse(await createProject(undefined, body.name), 201));
