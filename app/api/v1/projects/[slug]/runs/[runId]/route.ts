import { apiRoute, json, notFound } from "@/lib/api/handler";
import { runParams } from "@/lib/api/schemas";
import { getRunView } from "@/lib/dal/runs";

/** GET /api/v1/projects/{slug}/runs/{runId}: status, progress, stage, ETA, steps and error. */
export const GET = apiRoute({ params: runParams }, async ({ params }) => {
  const run = await getRunView(params.slug, params.runId);
  if (!run) throw notFound();
  return json(run);
});
