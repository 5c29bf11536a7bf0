import { apiRoute, json, notFound } from "@/lib/api/handler";
import { deliveriesQuery, endpointParams } from "@/lib/api/webhooks";
import { listWebhookDeliveries } from "@/lib/dal/webhooks";

/** GET /api/v1/webhooks/{endpointId}/deliveries: recent deliveries with their tries, newest first, keyset pages. */
export const GET = apiRoute({ params: endpointParams, query: deliveriesQuery }, async ({ params, query }) => {
  const page = await listWebhookDeliveries(null, params.endpointId, query.cursor);
  if (!page) throw notFound();
  return json(page);
});
