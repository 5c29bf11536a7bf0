import { ApiError, apiRoute, json, notFound } from "@/lib/api/handler";
import { runParams } from "@/lib/api/schemas";
import { getRunView, redriveProjectRun } from "@/lib/dal/runs";

/** POST .../runs/{runId}/retry: re-drive a failed or dead-lettered run (jobs:write). */
export const POST = apiRoute({ params: runParams }, async ({ params }) => {
  const result = await redriveProjectRun(params.slug, params.runId);
  if (!result.ok) {
    if (result.code === "not_found") throw notFound();
    if (result.code === "already_active") throw new ApiError(409, "already_active", result.message, { existingRunId: result.existingRunId });
    throw new ApiError(409, "not_retryable", "Only failed or dead-lettered runs can be retried.");
  }
  const run = await getRunView(params.slug, params.runId);
  if (!run) throw notFound();
  return json(run);
});
