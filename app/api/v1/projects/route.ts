import { apiRoute, json } from "@/lib/api/handler";
import { listKeyProjects } from "@/lib/dal/api-keys";

/** GET /api/v1/projects: the projects of the key's team. */
export const GET = apiRoute({}, async () => json({ projects: await listKeyProjects() }));
