import "server-only";
import { inArray } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { jobTypes } from "@/lib/db/schema";
import { getJobDefinition, JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import type { JobDefinition } from "@/lib/jobs/define";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { requireProjectPermission } from "./access";

/**
 * A job type as a trigger in this project validates it: from Runboard's code, or as a worker of
 * another service registered it (read fresh, so the latest registration's schema applies).
 */
export async function jobDefinitionForTrigger(slug: string, name: string): Promise<JobDefinition | undefined> {
  await requireProjectPermission(slug, "jobs:write");
  await loadRegisteredTypes(getDatabase().db);
  const def = getJobDefinition(name);
  return def?.scope === "project" ? def : undefined;
}

export type JobTypeRegistration = { source: string; registeredAt: string; updatedAt: string; seenAt: string };

/**
 * For the given job types defined outside Runboard's code: who registered each last and when its
 * definition last changed (the jobs page shows it: last registration wins).
 */
export async function listJobTypeRegistrations(slug: string, names: readonly string[]): Promise<Map<string, JobTypeRegistration>> {
  await requireProjectPermission(slug, "jobs:read");
  const inCode = new Set<string>(JOB_DEFINITIONS.map((d) => d.name));
  const external = names.filter((n) => !inCode.has(n));
  if (external.length === 0) return new Map();
  const rows = await getDatabase()
    .db.select({ name: jobTypes.name, source: jobTypes.source, registeredAt: jobTypes.registeredAt, updatedAt: jobTypes.updatedAt, seenAt: jobTypes.seenAt })
    .from(jobTypes)
    .where(inArray(jobTypes.name, external.slice(0, 500)));
  return new Map(rows.map((r) => [r.name, { source: r.source, registeredAt: r.registeredAt.toISOString(), updatedAt: r.updatedAt.toISOString(), seenAt: r.seenAt.toISOString() }]));
}
