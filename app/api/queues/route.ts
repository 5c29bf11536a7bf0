import { withDatabaseWatch } from "@/lib/dal/health";
import { accessErrorResponse } from "@/lib/dal/http";
import { getInstanceQueues, queuesResponse } from "@/lib/dal/queues";

/** The instance Queues page polls this (queues:read); 304 when nothing changed, 503 while Postgres is away. */
export async function GET(request: Request): Promise<Response> {
  try {
    return await withDatabaseWatch(async () => queuesResponse(request, await getInstanceQueues()));
  } catch (error) {
    return accessErrorResponse(error);
  }
}
