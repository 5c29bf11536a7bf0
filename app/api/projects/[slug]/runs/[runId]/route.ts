import { withDatabaseWatch } from "@/lib/dal/health";
import { accessErrorResponse } from "@/lib/dal/http";
import { pollRun } from "@/lib/dal/run-poll";
import { observePoll } from "@/lib/metrics/web";

/**
 * The run page polls this about once a second. One statement after the session answers 304 when
 * nothing changed; an active run's change is a small delta, the full view only when the run's
 * structure changed (lib/dal/run-poll.ts). While Postgres is unreachable it answers 503 at once
 * (the page says so and keeps polling).
 */
export function GET(request: Request, context: { params: Promise<{ slug: string; runId: string }> }): Promise<Response> {
  return observePoll(() => poll(request, context));
}

async function poll(request: Request, { params }: { params: Promise<{ slug: string; runId: string }> }): Promise<Response> {
  const { slug, runId } = await params;
  try {
    return await withDatabaseWatch(async () => {
      const answer = await pollRun(slug, runId, request.headers.get("if-none-match"));
      if (!answer) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
      const headers = { ETag: answer.etag, "Cache-Control": "private, no-cache" };
      if (answer.notModified) return new Response(null, { status: 304, headers });
      return Response.json(answer.body, { headers });
    });
  } catch (error) {
    return accessErrorResponse(error);
  }
}
