import { withDatabaseWatch } from "@/lib/dal/health";
import { accessErrorResponse } from "@/lib/dal/http";
import { getRunVersion, getRunView } from "@/lib/dal/runs";
import { observePoll } from "@/lib/metrics/web";

/**
 * The run page polls this about once a second. A cheap version check answers 304 when nothing
 * changed, so an idle poll costs one indexed lookup and no JSON. While Postgres is unreachable it
 * answers 503 at once (the page says so and keeps polling).
 */
export function GET(request: Request, context: { params: Promise<{ slug: string; runId: string }> }): Promise<Response> {
  return observePoll(() => poll(request, context));
}

async function poll(request: Request, { params }: { params: Promise<{ slug: string; runId: string }> }): Promise<Response> {
  const { slug, runId } = await params;
  try {
    return await withDatabaseWatch(async () => {
      const etag = await getRunVersion(slug, runId);
      if (!etag) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
      const headers = { ETag: etag, "Cache-Control": "private, no-cache" };
      if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
      const run = await getRunView(slug, runId);
      if (!run) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
      return Response.json(run, { headers });
    });
  } catch (error) {
    return accessErrorResponse(error);
  }
}
