import { apiRoute, json } from "@/lib/api/handler";
import { queueControlBody, queueParams } from "@/lib/api/queues";
import { setProjectQueueControl } from "@/lib/dal/queues";

/** PATCH /api/v1/projects/{slug}/queues/{jobType}: pause, resume or limit a project job type (audited). */
export const PATCH = apiRoute({ params: queueParams, body: queueControlBody }, async ({ params, body }) =>
  json(await setProjectQueueControl(params.slug, { jobType: params.jobType, paused: body.paused, concurrencyLimit: body.concurrencyLimit })),
);
