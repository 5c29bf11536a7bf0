import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { getDatabase } from "@/lib/db/client";
import { projectJobDefinitions, systemJobDefinitions } from "@/lib/jobs/catalog";
import { readInstanceGauges, type InstanceMetrics } from "@/lib/metrics/instance-gauges";
import { AccessError } from "./access";

export { QUEUE_COUNT_CAP, type InstanceMetrics } from "@/lib/metrics/instance-gauges";

export type MetricsAccess = "disabled" | "denied" | "granted";

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * /api/metrics is off unless METRICS_TOKEN is set, and then needs `Authorization: Bearer <token>`.
 * Compared as digests in constant time, so the answer's timing tells nothing about the token.
 */
export function metricsAccess(authorization: string | null): MetricsAccess {
  const token = process.env.METRICS_TOKEN?.trim();
  if (!token) return "disabled";
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (!presented) return "denied";
  return timingSafeEqual(digest(presented), digest(token)) ? "granted" : "denied";
}

/** The instance-level gauges for the catalog's job types, for a scraper holding METRICS_TOKEN. */
export async function readInstanceMetrics(authorization: string | null): Promise<InstanceMetrics> {
  const access = metricsAccess(authorization);
  if (access !== "granted") throw new AccessError(access === "disabled" ? "not_found" : "unauthenticated");
  const jobTypes = [...projectJobDefinitions(), ...systemJobDefinitions()].map((d) => d.name);
  return readInstanceGauges(getDatabase().sql, jobTypes);
}
