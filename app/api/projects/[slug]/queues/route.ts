import { withDatabaseWatch } from "@/lib/dal/health";
import { accessErrorResponse } from "@/lib/dal/http";
import { getProjectQueues, queuesResponse } from "@/lib/dal/queues";

/** The project's Queues page polls this (jobs:read); 304 when nothing changed, 503 while Postgres is away. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }): Promise<Response> {
  const { slug } = await params;
  try {
    return await withDatabaseWatch(async () => queuesResponse(request, await getProjectQueues(slug)));
  } catch (error) {
    return accessErrorResponse(error);
  }
}
