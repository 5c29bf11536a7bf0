import { apiRoute, json } from "@/lib/api/handler";
import { apiPayloadSchema } from "@/lib/api/payload-schema";
import { projectParams } from "@/lib/api/schemas";
import { getJobTypesOverview } from "@/lib/dal/runs";
import { getJobDefinition } from "@/lib/jobs/catalog";

/** GET /api/v1/projects/{slug}/job-types: the project job types with their payload schemas. */
export const GET = apiRoute({ params: projectParams }, async ({ params }) => {
  const types = await getJobTypesOverview(params.slug);
  return json({
    jobTypes: types.map((t) => {
      const def = getJobDefinition(t.name);
      return { ...t, payloadSchema: def ? apiPayloadSchema(def) : {} };
    }),
  });
});
