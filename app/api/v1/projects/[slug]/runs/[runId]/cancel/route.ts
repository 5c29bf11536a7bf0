import { ApiError, apiRoute, json, notFound } from "@/lib/api/handler";
import { runParams } from "@/lib/api/schemas";
import { cancelProjectRun, getRunView } from "@/lib/dal/runs";

/** POST .../runs/{runId}/cancel: at once when pending, cooperatively when running. */
export const POST = apiRoute({ params: runParams }, async ({ params }) => {
  const result = await cancelProjectRun(params.slug, params.runId);
  if (result.outcome === "not_found") throw notFound();
  if (result.outcome === "already_finished") throw new ApiError(409, "not_cancellable", `The run has already finished (${result.status ?? "finished"}).`);
  const run = await getRunView(params.slug, params.runId);
  if (!run) throw notFound();
  return json({ outcome: result.outcome, run });
});
