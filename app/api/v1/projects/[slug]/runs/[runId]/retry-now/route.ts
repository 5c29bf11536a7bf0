import { ApiError, apiRoute, json, notFound } from "@/lib/api/handler";
import { runParams } from "@/lib/api/schemas";
import { getRunView, retryNowProjectRun } from "@/lib/dal/runs";
import { notWaitingReason } from "@/lib/jobs/web/retry-now";

/** POST .../runs/{runId}/retry-now: start a pending retry now instead of after its backoff (jobs:write). */
export const POST = apiRoute({ params: runParams }, async ({ params }) => {
  const result = await retryNowProjectRun(params.slug, params.runId);
  if (!result.ok) {
    if (result.code === "not_found") throw notFound();
    throw new ApiError(409, "not_waiting_for_retry", notWaitingReason(result));
  }
  const run = await getRunView(params.slug, params.runId);
  if (!run) throw notFound();
  return json(run);
});
