import { apiRoute, json, notFound } from "@/lib/api/handler";
import { endpointParams } from "@/lib/api/webhooks";
import { rotateWebhookSecret } from "@/lib/dal/webhooks";

/** POST /api/v1/webhooks/{endpointId}/rotate-secret: a new signing secret, returned once. */
export const POST = apiRoute({ params: endpointParams }, async ({ params }) => {
  const rotated = await rotateWebhookSecret(null, params.endpointId);
  if (!rotated) throw notFound();
  return json(rotated);
});
