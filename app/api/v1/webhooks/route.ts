import { apiRoute, ApiError, json } from "@/lib/api/handler";
import { webhookEndpointBody } from "@/lib/api/webhooks";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/dal/webhooks";

/** GET /api/v1/webhooks: the key's team's webhook endpoints (jobs:write, creator an admin or owner). */
export const GET = apiRoute({}, async () => json({ endpoints: await listWebhookEndpoints(null) }));

/** POST /api/v1/webhooks: register an endpoint; the signing secret is in this answer only. */
export const POST = apiRoute({ body: webhookEndpointBody }, async ({ body }) => {
  const created = await createWebhookEndpoint(null, body);
  if ("ok" in created) throw new ApiError(409, "limit_reached", created.message);
  return json(created, 201);
});
