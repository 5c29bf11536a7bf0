import type { JobDefinition } from "./define";

/**
 * Job types this process knows beyond the code catalog (lib/jobs/catalog.ts consults this after
 * its own definitions, so code always wins):
 * - served: the definitions a worker process was started with (startWorker's `jobs`), with their
 *   handlers: an external service's types exist nowhere else in its process;
 * - registered: the job_types table as last read (lib/jobs/registry.ts), without handlers: the web
 *   validates triggers with them, and a worker's recovery knows their retry policy.
 * Kept on globalThis: Next may load this module more than once per process. No imports beyond
 * types: the catalog is loaded everywhere.
 */
type Known = { served: Map<string, JobDefinition>; registered: Map<string, JobDefinition>; loadedAt: number };
const store = globalThis as unknown as { runboardKnownJobTypes?: Known };
const known = (): Known => (store.runboardKnownJobTypes ??= { served: new Map(), registered: new Map(), loadedAt: 0 });

export function addServedDefinitions(defs: readonly JobDefinition[]): void {
  for (const def of defs) known().served.set(def.name, def);
}

export function setRegisteredDefinitions(defs: readonly JobDefinition[]): void {
  known().registered = new Map(defs.map((d) => [d.name, d]));
  known().loadedAt = Date.now();
}

/** When job_types was last read into this process (0: never). */
export function registeredLoadedAt(): number {
  return known().loadedAt;
}

export function knownDefinition(name: string): JobDefinition | undefined {
  const { served, registered } = known();
  return served.get(name) ?? registered.get(name);
}

export function knownDefinitions(): JobDefinition[] {
  const { served, registered } = known();
  return [...served.values(), ...[...registered.values()].filter((d) => !served.has(d.name))];
}
