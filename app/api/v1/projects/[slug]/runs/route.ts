import { ApiError, apiRoute, fieldErrorsOf, json, notFound } from "@/lib/api/handler";
import { runListQuery, projectParams, triggerBody } from "@/lib/api/schemas";
import { payloadFromJson } from "@/lib/api/trigger";
import { listRuns } from "@/lib/dal/history";
import { getRunView, triggerProjectJob } from "@/lib/dal/runs";
import { decodeHistoryCursor } from "@/lib/runs/history-filter";
import { MAX_IMPORT_BYTES } from "@/lib/jobs/catalog";
import { runAtSchema } from "@/lib/runs/run-at";

/** GET /api/v1/projects/{slug}/runs: the history page's filters and keyset cursor, one page at a time. */
export const GET = apiRoute({ params: projectParams, query: runListQuery }, async ({ params, query }) => {
  if (query.cursor && !decodeHistoryCursor(query.cursor, query.sort)) {
    throw new ApiError(422, "invalid", "The query is not valid.", { fieldErrors: { cursor: ["Not a cursor from this API (for this sort): pass `nextCursor` as it came."] } });
  }
  const page = await listRuns({ project: params.slug }, query);
  return json({ runs: page.rows, nextCursor: page.nextCursor, prevCursor: page.prevCursor, count: page.count, ...(page.search ? { search: page.search } : {}) });
});

/** POST /api/v1/projects/{slug}/runs: trigger a job; 201 with the run, 409 with the run in the way. */
export const POST = apiRoute(
  // An import's file comes inline: room for the largest import in base64, plus the envelope.
  { params: projectParams, body: triggerBody, maxBodyBytes: Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 64 * 1024 },
  async ({ params, body }) => {
    const runAt = body.runAt === undefined ? null : runAtSchema.safeParse(body.runAt);
    if (runAt && !runAt.success) throw new ApiError(422, "invalid", "runAt is not a time this run can start at.", { fieldErrors: fieldErrorsOf(runAt.error, "runAt") });
    const outcome = await triggerProjectJob(params.slug, body.jobType, await payloadFromJson(params.slug, body.jobType, body.payload), body.notify, { runAt: runAt?.data ?? null });
    if (outcome.ok) {
      const run = await getRunView(params.slug, outcome.runId);
      if (!run) throw notFound();
      return json({ ...run, warnings: outcome.warnings }, 201, { Location: `/api/v1/projects/${params.slug}/runs/${run.id}` });
    }
    if (outcome.code === "already_active") {
      throw new ApiError(409, "already_active", outcome.message, { existingRunId: outcome.existingRunId, overlap: outcome.overlap });
    }
    if (outcome.code === "invalid") {
      const fieldErrors = Object.fromEntries(Object.entries(outcome.fieldErrors).map(([k, v]) => [`payload.${k}`, v]));
      throw new ApiError(422, "invalid", "The payload is not valid for this job type.", { fieldErrors });
    }
    throw new ApiError(422, "invalid", `Unknown job type "${body.jobType}".`, { fieldErrors: { jobType: ["Not a project job type."] } });
  },
);
