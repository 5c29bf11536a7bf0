import { z } from "zod";
import { projectJobDefinitions } from "@/lib/jobs/catalog";
import { alertRuleBody, alertRuleListSchema, alertRulePatchBody, alertRuleSchema } from "./alerts";
import { apiPayloadSchema } from "./payload-schema";
import { queueControlBody, queueControlSchema, queuesViewSchema } from "./queues";
import { createdWebhookEndpointSchema, webhookDeliveryPageSchema, webhookEndpointBody, webhookEndpointListSchema, webhookEndpointPatchBody, webhookEndpointSchema, webhookSecretSchema } from "./webhooks";
import {
  apiErrorSchema,
  cancelResultSchema,
  inlineFileSchema,
  jobTypeListSchema,
  projectListSchema,
  projectNameBody,
  projectResultSchema,
  runListQuery,
  runPageSchema,
  runViewSchema,
  triggerBody,
  triggeredRunSchema,
} from "./schemas";

type Json = Record<string, unknown>;

// Referenced by id so the registry conversion below includes them.
void [apiErrorSchema, cancelResultSchema, jobTypeListSchema, projectListSchema, projectNameBody, projectResultSchema, runPageSchema, runViewSchema, triggeredRunSchema, inlineFileSchema, triggerBody, queuesViewSchema, queueControlSchema, queueControlBody];
void [alertRuleBody, alertRulePatchBody, alertRuleSchema, alertRuleListSchema];
void [webhookEndpointBody, webhookEndpointPatchBody, webhookEndpointSchema, webhookEndpointListSchema, createdWebhookEndpointSchema, webhookSecretSchema, webhookDeliveryPageSchema];

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });
const clean = (schema: Json): Json => {
  const { $schema: _s, $id: _i, id: _id, ...rest } = schema;
  return rest;
};

const registrySchemas = (io: "input" | "output") =>
  (z.toJSONSchema(z.globalRegistry, { target: "draft-2020-12", io, uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> }).schemas;

function components(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(registrySchemas("output"))) out[id] = clean(schema);
  // Requests are described as the server accepts them (fields with defaults are optional).
  const inputs = registrySchemas("input");
  for (const id of ["InlineFile", "TriggerRequest", "WebhookEndpointRequest", "WebhookEndpointPatch", "AlertRuleRequest", "AlertRulePatch"]) if (inputs[id]) out[id] = clean(inputs[id]);
  const triggers = projectJobDefinitions().map((def) => {
    const id = `Trigger_${def.name}`;
    out[id] = {
      type: "object",
      title: def.label,
      description: def.description,
      properties: { jobType: { const: def.name }, payload: apiPayloadSchema(def), notify: { type: "boolean", default: false }, runAt: { type: "string", format: "date-time" } },
      required: ["jobType"],
    };
    return ref(id);
  });
  out.TriggerRequest = { ...out.TriggerRequest, oneOf: triggers };
  return out;
}

function queryParameters(): Json[] {
  return Object.entries(runListQuery.shape).map(([name, schema]) => {
    const json = clean(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json);
    return { name, in: "query", required: false, schema: json, description: typeof json.description === "string" ? json.description : undefined };
  });
}

const errors = (...statuses: number[]): Record<string, Json> =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      {
        description: ERROR_TEXT[s] ?? "Error",
        content: { "application/json": { schema: ref("Error") } },
        ...(s === 429 ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds until the key may call again." } } } : {}),
        ...(s === 503 ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds until the database is worth trying again." } } } : {}),
      },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: "The body is not JSON.",
  401: "No key, an unknown key, or a revoked key.",
  403: "The key lacks the scope (jobs:read, jobs:write, or team:manage for project changes).",
  404: "No such project, run or path for this key's team.",
  409: "Already pending or running (existingRunId), not in a state for this action (code conflict: a taken name, an already deleted project, an expired restore), or a limit reached (limit_reached).",
  413: "The body is too large.",
  422: "Invalid path, query, body or payload (fieldErrors).",
  429: "Rate limit for this key; see Retry-After.",
  503: "The database is unreachable for now (code database_unavailable); retry after Retry-After.",
};

const ok = (description: string, schemaId: string, status = "200"): Record<string, Json> => ({
  [status]: { description, content: { "application/json": { schema: ref(schemaId) } } },
});

const slug = { name: "slug", in: "path", required: true, schema: { type: "string" } };
const runId = { name: "runId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const common = [401, 404, 422, 429, 503];
const endpointId = { name: "endpointId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const ruleId = { name: "ruleId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const ALERT_ACCESS = "Needs a key with jobs:write whose creator is an admin or owner of the key's team; another team's rule is 404.";
const WEBHOOK_ACCESS = "Needs a key with jobs:write whose creator is an admin or owner of the key's team; another team's endpoint is 404.";

let cached: Json | null = null;

/** The OpenAPI 3.1 document of /api/v1, generated from the zod schemas the routes validate with. */
export function openApiDocument(): Json {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "Runboard API",
      version: "1.0.0",
      description:
        "Trigger and follow project jobs with a team API key (`Authorization: Bearer rb_…`). A key sees only its team's projects; its scopes (jobs:read, jobs:write) are its permissions, as long as the key's creator still holds them in the team. Errors share one shape: `{ error: { code, message, fieldErrors?, existingRunId? } }`.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ apiKey: [] }],
    paths: {
      "/projects": {
        get: { operationId: "listProjects", summary: "Projects of the key's team", responses: { ...ok("Projects", "ProjectList"), ...errors(401, 429, 503) } },
        post: {
          operationId: "createProject",
          summary: "Create a project in the key's team (scope team:manage)",
          description: "The slug is made from the name (lowercase ASCII, dashes) and made unique with a suffix; it never changes.",
          requestBody: { required: true, content: { "application/json": { schema: ref("ProjectNameRequest") } } },
          responses: { ...ok("The new project", "ProjectResult", "201"), ...errors(400, 403, 409, 413, 422, 429, 503) },
        },
      },
      "/projects/{slug}": {
        patch: {
          operationId: "renameProject",
          summary: "Rename a project (scope team:manage); the slug stays",
          parameters: [slug],
          requestBody: { required: true, content: { "application/json": { schema: ref("ProjectNameRequest") } } },
          responses: { ...ok("The renamed project", "ProjectResult"), ...errors(400, 403, 409, 413, ...common) },
        },
        delete: {
          operationId: "deleteProject",
          summary: "Soft-delete a project (scope team:manage)",
          description:
            "The project leaves every list, page, API answer and trigger at once; restore it within 7 days (`restoreUntil`), after which soft-delete cleanup removes it with its runs and files. Refused with 409 `already_active` (existingRunId) while a run of it is pending or running, and 409 `conflict` when already deleted.",
          parameters: [slug],
          responses: { ...ok("The deleted project, with restoreUntil", "ProjectResult"), ...errors(403, 409, ...common) },
        },
      },
      "/projects/{slug}/restore": {
        post: {
          operationId: "restoreProject",
          summary: "Restore a soft-deleted project within 7 days (scope team:manage)",
          parameters: [slug],
          responses: { ...ok("The restored project", "ProjectResult"), ...errors(403, 409, ...common) },
        },
      },
      "/projects/{slug}/job-types": {
        get: { operationId: "listJobTypes", summary: "Project job types with payload schemas", parameters: [slug], responses: { ...ok("Job types", "JobTypeList"), ...errors(403, ...common) } },
      },
      "/projects/{slug}/runs": {
        get: {
          operationId: "listRuns",
          summary: "Runs, newest first, one keyset page (25) at a time",
          parameters: [slug, ...queryParameters()],
          responses: { ...ok("A page of runs", "RunPage"), ...errors(403, ...common) },
        },
        post: {
          operationId: "triggerRun",
          summary: "Trigger a job",
          parameters: [slug],
          requestBody: { required: true, content: { "application/json": { schema: ref("TriggerRequest") } } },
          responses: { ...ok("The new run (it is accepted even when no worker serves its job type: `warnings` says so)", "TriggeredRun", "201"), ...errors(400, 403, 409, 413, ...common) },
        },
      },
      "/projects/{slug}/runs/{runId}": {
        get: { operationId: "getRun", summary: "A run: status, progress, stage, ETA, steps, error", parameters: [slug, runId], responses: { ...ok("The run", "Run"), ...errors(403, ...common) } },
      },
      "/projects/{slug}/runs/{runId}/cancel": {
        post: {
          operationId: "cancelRun",
          summary: "Cancel a pending or running run",
          description:
            "A pending run is cancelled at once (`cancelled`). A running run answers `cancelling` and always ends `cancelled`, even if its handler finished meanwhile. A run that had already ended answers 409 with its final status.",
          parameters: [slug, runId],
          responses: { ...ok("Cancelled or cancelling", "CancelResult"), ...errors(403, 409, ...common) },
        },
      },
      "/projects/{slug}/queues": {
        get: { operationId: "getQueues", summary: "Per job type: pending, running, failures, throughput, workers, controls", parameters: [slug], responses: { ...ok("The project's queues", "Queues"), ...errors(403, ...common) } },
      },
      "/projects/{slug}/queues/{jobType}": {
        patch: {
          operationId: "setQueueControl",
          summary: "Pause, resume or limit a project job type",
          description: "Paused job types accept runs that wait; a limit caps how many run at once across all workers. Waiting consumes no attempt. Audited.",
          parameters: [slug, { name: "jobType", in: "path", required: true, schema: { type: "string" } }],
          requestBody: { required: true, content: { "application/json": { schema: ref("QueueControlRequest") } } },
          responses: { ...ok("The control as saved", "QueueControl"), ...errors(403, ...common) },
        },
      },
      "/webhooks": {
        get: { operationId: "listWebhookEndpoints", summary: "The team's webhook endpoints (never their secrets)", description: WEBHOOK_ACCESS, responses: { ...ok("Endpoints", "WebhookEndpointList"), ...errors(403, 401, 429, 503) } },
        post: {
          operationId: "createWebhookEndpoint",
          summary: "Register a webhook endpoint for run-end events",
          description: `${WEBHOOK_ACCESS} The answer holds the signing secret, shown this once. See docs/webhooks.md for the payload and signature.`,
          requestBody: { required: true, content: { "application/json": { schema: ref("WebhookEndpointRequest") } } },
          responses: { ...ok("The endpoint and its secret", "CreatedWebhookEndpoint", "201"), ...errors(400, 403, 409, 413, ...common) },
        },
      },
      "/webhooks/{endpointId}": {
        get: { operationId: "getWebhookEndpoint", summary: "One webhook endpoint", description: WEBHOOK_ACCESS, parameters: [endpointId], responses: { ...ok("The endpoint", "WebhookEndpoint"), ...errors(403, ...common) } },
        patch: {
          operationId: "updateWebhookEndpoint",
          summary: "Change url, description, events, or enable/disable",
          description: WEBHOOK_ACCESS,
          parameters: [endpointId],
          requestBody: { required: true, content: { "application/json": { schema: ref("WebhookEndpointPatch") } } },
          responses: { ...ok("The endpoint as saved", "WebhookEndpoint"), ...errors(400, 403, 413, ...common) },
        },
        delete: { operationId: "deleteWebhookEndpoint", summary: "Delete an endpoint: nothing more is sent to it", description: WEBHOOK_ACCESS, parameters: [endpointId], responses: { "204": { description: "Deleted" }, ...errors(403, ...common) } },
      },
      "/webhooks/{endpointId}/rotate-secret": {
        post: { operationId: "rotateWebhookSecret", summary: "A new signing secret, returned once", description: WEBHOOK_ACCESS, parameters: [endpointId], responses: { ...ok("The new secret", "WebhookSecret"), ...errors(403, ...common) } },
      },
      "/webhooks/{endpointId}/deliveries": {
        get: {
          operationId: "listWebhookDeliveries",
          summary: "Recent deliveries with their tries, newest first, keyset pages of 20",
          description: WEBHOOK_ACCESS,
          parameters: [endpointId, { name: "cursor", in: "query", required: false, schema: { type: "string" } }],
          responses: { ...ok("A page of deliveries", "WebhookDeliveryPage"), ...errors(403, ...common) },
        },
      },
      "/alert-rules": {
        get: { operationId: "listAlertRules", summary: "The team's alert rules (at most 50)", description: ALERT_ACCESS, responses: { ...ok("Rules", "AlertRuleList"), ...errors(403, 401, 429, 503) } },
        post: {
          operationId: "createAlertRule",
          summary: "Add an alert rule: email people when runs of chosen job types fail or are dead-lettered",
          description: `${ALERT_ACCESS} Job types must be project job types, the project (a slug) and members of the key's team; 409 \`limit_reached\` past 50 rules. See docs/alerts.md.`,
          requestBody: { required: true, content: { "application/json": { schema: ref("AlertRuleRequest") } } },
          responses: { ...ok("The rule", "AlertRule", "201"), ...errors(400, 403, 409, 413, ...common) },
        },
      },
      "/alert-rules/{ruleId}": {
        get: { operationId: "getAlertRule", summary: "One alert rule", description: ALERT_ACCESS, parameters: [ruleId], responses: { ...ok("The rule", "AlertRule"), ...errors(403, ...common) } },
        patch: {
          operationId: "updateAlertRule",
          summary: "Change a rule's fields, or enable/disable it",
          description: `${ALERT_ACCESS} A changed throttle applies from the next window.`,
          parameters: [ruleId],
          requestBody: { required: true, content: { "application/json": { schema: ref("AlertRulePatch") } } },
          responses: { ...ok("The rule as saved", "AlertRule"), ...errors(400, 403, 413, ...common) },
        },
        delete: { operationId: "deleteAlertRule", summary: "Delete a rule: nothing more is emailed for it", description: ALERT_ACCESS, parameters: [ruleId], responses: { "204": { description: "Deleted" }, ...errors(403, ...common) } },
      },
      "/projects/{slug}/runs/{runId}/retry": {
        post: { operationId: "retryRun", summary: "Re-drive a failed or dead-lettered run", parameters: [slug, runId], responses: { ...ok("The run, pending again", "Run"), ...errors(403, 409, ...common) } },
      },
      "/projects/{slug}/runs/{runId}/retry-now": {
        post: {
          operationId: "retryRunNow",
          summary: "Start a pending retry now, skipping its backoff wait",
          description: "Only for a run waiting for its next attempt (pending after a failed attempt); 409 `not_waiting_for_retry` otherwise. Queue pause and concurrency limits still apply. Audited.",
          parameters: [slug, runId],
          responses: { ...ok("The run, its next attempt due now", "Run"), ...errors(403, 409, ...common) },
        },
      },
    },
    components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "A team API key from Team settings → API keys." } }, schemas: components() },
  };
  return cached;
}
