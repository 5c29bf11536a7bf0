import { z } from "zod";
import { webhookEndpointInput, webhookEndpointPatch, WEBHOOK_EVENTS } from "@/lib/dal/webhooks";

/** The Webhooks part of the /api/v1 contract (docs/webhooks.md); lib/api/openapi.ts documents it. */

export const endpointParams = z.object({ endpointId: z.uuid("Not a webhook endpoint id.") });
export const deliveriesQuery = z.object({ cursor: z.string().max(200).optional().meta({ description: "nextCursor of the previous page." }) });

export const webhookEndpointBody = webhookEndpointInput.strict().meta({ id: "WebhookEndpointRequest" });
export const webhookEndpointPatchBody = webhookEndpointPatch.meta({ id: "WebhookEndpointPatch" });

const endpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  enabled: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  secretRotatedAt: z.string().nullable(),
});

export const webhookEndpointSchema = endpointSchema.meta({ id: "WebhookEndpoint" });
export const webhookEndpointListSchema = z.object({ endpoints: z.array(endpointSchema) }).meta({ id: "WebhookEndpointList" });
export const createdWebhookEndpointSchema = z
  .object({ endpoint: endpointSchema, secret: z.string().meta({ description: "The signing secret: returned here and by rotate-secret only." }) })
  .meta({ id: "CreatedWebhookEndpoint" });
export const webhookSecretSchema = z.object({ secret: z.string() }).meta({ id: "WebhookSecret" });
export const webhookDeliveryPageSchema = z
  .object({
    deliveries: z.array(
      z.object({
        id: z.uuid(),
        event: z.enum(WEBHOOK_EVENTS),
        status: z.enum(["pending", "delivered", "failed", "skipped"]),
        attempts: z.number().int(),
        lastResponseStatus: z.number().int().nullable(),
        lastDurationMs: z.number().int().nullable(),
        lastResponseExcerpt: z.string().nullable(),
        createdAt: z.string(),
        lastAttemptAt: z.string().nullable(),
        sourceRunId: z.uuid(),
        run: z.object({ id: z.uuid(), status: z.string(), projectSlug: z.string() }).nullable(),
        tries: z.array(z.object({ attempt: z.number().int(), status: z.number().int().nullable(), durationMs: z.number().int(), error: z.string().nullable(), responseExcerpt: z.string().nullable(), at: z.string() })),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "WebhookDeliveryPage" });
