import { ApiError, apiRoute, json, notFound } from "@/lib/api/handler";
import { runParams } from "@/lib/api/schemas";
import { getRunView, retryNowProjectRun } from "@/lib/dal/runs";

/** POST .../runs/{runId}/retry-now: start a pending retry now instead of after its backoff (jobs:write). */
export const POST = apiRoute({ params: runParams }, async ({ params }) => {
  const result = await retryNowProjectRun(params.slug, params.runId);
  if (!result.ok) {
    if (result.code === "not_found") throw notFound();
    const why = result.status !== "pending" ? `it is ${result.status}` : result.attempts === 0 ? "it has not run yet (a later run starts at its time)" : "its retry is already due";
    throw new ApiError(409, "not_waiting_for_retry", `The run is not waiting for a retry: ${why}.`);
  }
  const run = await getRunView(params.slug, params.runId);
  if (!run) throw notFound();
  return json(run);
});
