import type { Db } from "@/lib/db/client";
import type { JobDefinition } from "@/lib/jobs/define";
import { addServedDefinitions } from "@/lib/jobs/known-types";
import { loadRegisteredTypes, registerJobTypes } from "@/lib/jobs/registry";

/**
 * At start, before it takes work: the job types this worker serves become known in this process
 * (an external service's types exist nowhere else in it) and are registered in job_types, where
 * the web learns them; the types other workers registered are read too, so this worker's recovery
 * knows their retry policy when it sweeps their lost runs.
 */
export async function registerServedTypes(db: Db, served: readonly JobDefinition[], by: { source: string; workerId: string }): Promise<void> {
  addServedDefinitions(served);
  const changes = await registerJobTypes(db, served, by);
  for (const c of changes) {
    if (c.change === "changed") console.log(`[worker] job type ${c.name}: definition changed (was registered by ${c.previousSource}); this registration now stands`);
  }
  await loadRegisteredTypes(db);
}

/** Schedule ticks (system and project schedules) start runs: Runboard's own worker, which serves the system types, takes them. */
export function servesSchedules(served: readonly JobDefinition[]): boolean {
  return served.some((d) => d.scope === "system");
}
