import { apiRoute, json, notFound } from "@/lib/api/handler";
import { endpointParams, webhookEndpointPatchBody } from "@/lib/api/webhooks";
import { deleteWebhookEndpoint, getWebhookEndpoint, updateWebhookEndpoint } from "@/lib/dal/webhooks";

/** GET /api/v1/webhooks/{endpointId}: one endpoint of the key's team (another team's is 404). */
export const GET = apiRoute({ params: endpointParams }, async ({ params }) => {
  const endpoint = await getWebhookEndpoint(null, params.endpointId);
  if (!endpoint) throw notFound();
  return json(endpoint);
});

/** PATCH /api/v1/webhooks/{endpointId}: change url, description, events, or enable/disable. */
export const PATCH = apiRoute({ params: endpointParams, body: webhookEndpointPatchBody }, async ({ params, body }) => {
  const endpoint = await updateWebhookEndpoint(null, params.endpointId, body);
  if (!endpoint) throw notFound();
  return json(endpoint);
});

/** DELETE /api/v1/webhooks/{endpointId}: nothing more is sent to it; its delivery records go too. */
export const DELETE = apiRoute({ params: endpointParams }, async ({ params }) => {
  if ((await deleteWebhookEndpoint(null, params.endpointId)) === "not_found") throw notFound();
  return new Response(null, { status: 204 });
});
