import { createHash } from "node:crypto";
import { z } from "zod";
import { defineJob } from "@/lib/jobs/define";

/** The provider's account id: also part of the URL path, so only URL-safe characters. */
export const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const subscriptionSyncPayload = z.object({
  account: z
    .string()
    .trim()
    .regex(ACCOUNT_PATTERN, "Use the provider's account id: letters, digits, '_', '.', '-' (at most 64).")
    .meta({ title: "Provider account" }),
});

/**
 * The billing account's row id, derived from the project and the provider's account id (a name-based
 * UUID, RFC 9562 version 5 layout): the run's resource is known when it is triggered, before the
 * sync has written the row, and the same account always links to the same resource.
 */
export function billingAccountId(projectId: string, account: string): string {
  const hash = createHash("sha1").update(`runboard:billing_account:${projectId}:${account}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type SubscriptionSyncPayload = z.output<typeof subscriptionSyncPayload>;

/** Seed 002's subscription sync: pages through the provider's API and upserts into `subscriptions`. */
export default defineJob({
  name: "subscription_sync",
  label: "Subscription sync",
  description:
    "Pages through the subscription provider's API for one account and upserts every subscription into the project's subscriptions table; calls are retried on 429 and 5xx and shown on the run page.",
  scope: "project",
  payload: subscriptionSyncPayload,
  retry: { limit: 2, delaySeconds: 30, backoff: true },
  schedule: null,
  // One sync per account at a time; two accounts of a project may sync at once.
  overlap: "resource",
  // 10,000 pages at a few hundred ms each; an attempt still going after this is stuck.
  timeoutSeconds: 60 * 60,
  resource: (p, projectId) => (projectId ? { type: "billing_account", id: billingAccountId(projectId, p.account) } : null),
  handler: () => import("./subscription-sync.handler"),
});
