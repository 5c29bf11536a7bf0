import { apiRoute, json } from "@/lib/api/handler";
import { queuesBody } from "@/lib/api/queues";
import { projectParams } from "@/lib/api/schemas";
import { getProjectQueues } from "@/lib/dal/queues";

/** GET /api/v1/projects/{slug}/queues: per job type, pending, running, failures, throughput, controls. */
export const GET = apiRoute({ params: projectParams }, async ({ params }) => json(queuesBody(await getProjectQueues(params.slug))));
