import { z } from "zod";
import { withDatabaseWatch } from "@/lib/dal/health";
import { pollHistory, POLL_MAX_IDS } from "@/lib/dal/history-poll";
import { accessErrorResponse } from "@/lib/dal/http";
import { observePoll } from "@/lib/metrics/web";

const idsSchema = z.array(z.uuid({ message: "Each id must be a run id (a UUID)." })).max(POLL_MAX_IDS, { message: `Send at most ${POLL_MAX_IDS} run ids.` });
/** Longer than any slug can be, or with characters no slug has: names no project (404). */
const SLUG = /^[a-z0-9][a-z0-9-]{0,99}$/;

const badRequest = (message: string) => Response.json({ error: { code: "bad_request", message } }, { status: 400, headers: { "Cache-Control": "no-store" } });

/**
 * The history (`?project=<slug>`) and monitor (no project) pages poll this while visible:
 * `ids=<id>,<id>` are the active runs the page shows. Answers their moving fields (runs the caller
 * may not read are left out) and the counts by status, with an ETag; 304 when unchanged
 * (lib/dal/history-poll.ts).
 */
export function GET(request: Request): Promise<Response> {
  return observePoll(() => poll(request));
}

async function poll(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const project = url.searchParams.get("project");
  const rawIds = url.searchParams.getAll("ids").flatMap((v) => v.split(",")).filter((v) => v.length > 0);
  // Checked before splitting further: a huge list is refused without parsing each item.
  if (rawIds.length > POLL_MAX_IDS) return badRequest(`Send at most ${POLL_MAX_IDS} run ids.`);
  const ids = idsSchema.safeParse(rawIds);
  if (!ids.success) return badRequest(ids.error.issues[0]?.message ?? "The run ids are not valid.");
  if (project !== null && !SLUG.test(project)) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
  try {
    return await withDatabaseWatch(async () => {
      const answer = await pollHistory(project === null ? "monitor" : { project }, ids.data, request.headers.get("if-none-match"));
      const headers = { ETag: answer.etag, "Cache-Control": "private, no-cache" };
      if (answer.notModified) return new Response(null, { status: 304, headers });
      return Response.json(answer.body, { headers });
    });
  } catch (error) {
    return accessErrorResponse(error);
  }
}
