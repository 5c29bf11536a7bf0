import type { z } from "zod";
import { JOBS } from "@/jobs";
import type { JobDefinition } from "./define";
import { knownDefinition, knownDefinitions } from "./known-types";
import { SYSTEM_JOBS } from "./system";

export { MAX_IMPORT_BYTES } from "@/jobs/contacts-import";

/** Every job type this build knows: the team's (jobs/) and Runboard's own (lib/jobs/system/). */
export const JOB_DEFINITIONS = [...JOBS, ...SYSTEM_JOBS] as const;

export type JobName = (typeof JOB_DEFINITIONS)[number]["name"];
export type JobPayload<N extends JobName> = z.output<Extract<(typeof JOB_DEFINITIONS)[number], { name: N }>["payload"]>;

function byNameOf(defs: readonly JobDefinition[]): Map<string, JobDefinition> {
  const map = new Map<string, JobDefinition>();
  for (const def of defs) {
    if (map.has(def.name)) throw new Error(`Two job types are named "${def.name}": names must be unique.`);
    map.set(def.name, def);
  }
  return map;
}

// The cast forgets each type's payload: callers parse payloads with def.payload.
const byName = byNameOf(JOB_DEFINITIONS as unknown as readonly JobDefinition[]);

/** Code first; then a type this process serves or read from job_types (lib/jobs/known-types.ts). */
export function getJobDefinition(name: string): JobDefinition | undefined {
  return byName.get(name) ?? knownDefinition(name);
}

/** This build's types, then those registered by other services' workers (when this process read them). */
export function allJobDefinitions(): JobDefinition[] {
  return [...byName.values(), ...knownDefinitions().filter((d) => !byName.has(d.name))];
}

export function projectJobDefinitions(): JobDefinition[] {
  return allJobDefinitions().filter((d) => d.scope === "project");
}

export function systemJobDefinitions(): JobDefinition[] {
  return allJobDefinitions().filter((d) => d.scope === "system");
}

/** A run gets the first attempt plus the retry limit. */
export function maxAttempts(def: JobDefinition): number {
  return def.retry.limit + 1;
}
