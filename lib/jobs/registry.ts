import { createHash } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { jobTypes, type ResourceDescriptor } from "@/lib/db/schema";
import { JOB_DEFINITIONS } from "./catalog";
import type { JobDefinition } from "./define";
import { registeredLoadedAt, setRegisteredDefinitions } from "./known-types";

// Registration of job types by the workers that serve them (issue 13, "a worker can run outside
// this repository's process"): every worker upserts its definitions into job_types at start, and
// the web learns from there the types defined only in another service's code.

type ResourceOf<K extends string> = ((payload: Partial<Record<K, unknown>>, projectId: string | null) => { type: string; id: string } | null) & {
  descriptor: ResourceDescriptor;
};

/**
 * A run's resource taken from one payload field: `resource: resourceField("customer", "customerId")`.
 * Unlike a function it is registered as data, so the dashboard can link runs to their resource and
 * enforce overlap "resource" for a job type whose code it does not have.
 */
export function resourceField<const K extends string>(type: string, field: K): ResourceOf<K> {
  const fn = (payload: Partial<Record<K, unknown>>) => {
    const value = payload[field];
    return value === undefined || value === null || value === "" ? null : { type, id: String(value) };
  };
  return Object.assign(fn, { descriptor: { type, field } });
}

function descriptorOf(def: JobDefinition): ResourceDescriptor | null {
  const d = (def.resource as { descriptor?: ResourceDescriptor } | undefined)?.descriptor;
  return d && typeof d.type === "string" && typeof d.field === "string" ? { type: d.type, field: d.field } : null;
}

export type Registration = {
  name: string;
  label: string;
  description: string;
  scope: "project" | "system";
  payloadSchema: Record<string, unknown>;
  retry: { limit: number; delaySeconds: number; backoff: boolean };
  schedule: string | null;
  overlap: "project" | "resource" | "none";
  timeoutSeconds: number | null;
  resource: ResourceDescriptor | null;
};

/** What a worker writes to job_types for a definition: the payload as the JSON Schema of its input. */
export function registrationOf(def: JobDefinition): Registration {
  let payloadSchema: Record<string, unknown>;
  try {
    payloadSchema = z.toJSONSchema(def.payload, { io: "input" }) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Job type "${def.name}": its payload schema cannot be written as JSON Schema (${(error as Error).message}); use plain zod types (objects, strings, numbers, booleans, enums).`);
  }
  const { limit, delaySeconds, backoff } = def.retry;
  return {
    name: def.name,
    label: def.label,
    description: def.description,
    scope: def.scope,
    payloadSchema,
    retry: { limit, delaySeconds, backoff },
    schedule: def.schedule,
    overlap: def.overlap,
    timeoutSeconds: def.timeoutSeconds,
    resource: descriptorOf(def),
  };
}

function hashOf(registration: Registration): string {
  return createHash("sha256").update(JSON.stringify(registration)).digest("hex");
}

/**
 * Refuse, before anything is registered or consumed, definitions the dashboard could not serve
 * right: duplicates, a name Runboard's code already uses for another type, a resource overlap
 * the web cannot derive (a function does not serialise).
 */
export function checkServable(defs: readonly JobDefinition[]): void {
  const seen = new Set<string>();
  for (const def of defs) {
    if (seen.has(def.name)) throw new Error(`Two job types passed to startWorker are named "${def.name}": names must be unique.`);
    seen.add(def.name);
    const inCode: unknown = JOB_DEFINITIONS.find((d) => d.name === def.name);
    if (inCode && inCode !== def) throw new Error(`Job type "${def.name}" is already defined by Runboard itself: give yours another name.`);
    if (!inCode && def.overlap === "resource" && !descriptorOf(def)) {
      throw new Error(`Job type "${def.name}": overlap "resource" needs resource: resourceField("<type>", "<payload field>") so the dashboard can tell runs' resources apart.`);
    }
    const registration = registrationOf(def);
    const field = registration.resource?.field;
    const properties = registration.payloadSchema.properties as Record<string, { format?: string }> | undefined;
    // Runs record their resource by id (job_runs.resource_id is a uuid).
    if (field !== undefined && properties?.[field]?.format !== "uuid") {
      throw new Error(`Job type "${def.name}": resourceField's payload field "${field}" must be a z.uuid() in the payload schema.`);
    }
  }
}

export type RegistrationChange = { name: string; change: "new" | "unchanged" | "changed"; previousSource: string | null };

/**
 * Upsert the definitions a worker serves. Last registration wins: a definition that differs from
 * the stored one replaces it and moves updated_at (the jobs page shows it); the same one only
 * records who registered it and when (seen_at).
 */
export async function registerJobTypes(db: Db, defs: readonly JobDefinition[], by: { source: string; workerId: string }): Promise<RegistrationChange[]> {
  if (defs.length === 0) return [];
  const rows = defs.map((def) => {
    const r = registrationOf(def);
    return { ...r, definitionHash: hashOf(r), source: by.source, registeredBy: by.workerId };
  });
  return db.transaction(async (tx) => {
    const names = rows.map((r) => r.name);
    const before = new Map(
      (await tx.select({ name: jobTypes.name, hash: jobTypes.definitionHash, source: jobTypes.source }).from(jobTypes).where(inArray(jobTypes.name, names)).for("update")).map((r) => [r.name, r]),
    );
    await tx
      .insert(jobTypes)
      .values(rows)
      .onConflictDoUpdate({
        target: jobTypes.name,
        set: {
          label: sql`excluded.label`,
          description: sql`excluded.description`,
          scope: sql`excluded.scope`,
          payloadSchema: sql`excluded.payload_schema`,
          retry: sql`excluded.retry`,
          schedule: sql`excluded.schedule`,
          overlap: sql`excluded.overlap`,
          timeoutSeconds: sql`excluded.timeout_seconds`,
          resource: sql`excluded.resource`,
          source: sql`excluded.source`,
          registeredBy: sql`excluded.registered_by`,
          updatedAt: sql`case when ${jobTypes.definitionHash} = excluded.definition_hash then ${jobTypes.updatedAt} else now() end`,
          definitionHash: sql`excluded.definition_hash`,
          seenAt: sql`now()`,
        },
      });
    return rows.map((r): RegistrationChange => {
      const prev = before.get(r.name);
      return { name: r.name, change: !prev ? "new" : prev.hash === r.definitionHash ? "unchanged" : "changed", previousSource: prev?.source ?? null };
    });
  });
}

/** Payloads beyond what a registered schema names are dropped, as a code type's zod object does. */
function payloadFromSchema(name: string, schema: Record<string, unknown>): z.ZodType {
  try {
    const parsed = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return parsed instanceof z.ZodObject ? parsed.strip() : parsed;
  } catch {
    return z.unknown().refine(() => false, `The registered payload schema of ${name} cannot be read by this dashboard; trigger it once its worker registers a plain one.`);
  }
}

type JobTypeRow = typeof jobTypes.$inferSelect;

/** A definition for a type registered by another service's worker: everything but its handler. */
export function definitionFromRegistration(row: Pick<JobTypeRow, keyof Registration | "source">): JobDefinition {
  const resource = row.resource ? resourceField(row.resource.type, row.resource.field) : undefined;
  return {
    name: row.name,
    label: row.label,
    description: row.description,
    scope: row.scope,
    payload: payloadFromSchema(row.name, row.payloadSchema),
    retry: row.retry,
    schedule: row.schedule,
    overlap: row.overlap,
    timeoutSeconds: row.timeoutSeconds,
    resource: resource as JobDefinition["resource"],
    handler: () => Promise.reject(new Error(`Job type "${row.name}" is served by ${row.source}; this process has no handler for it.`)),
  };
}

/** Conversions by name and definition hash: a schema is turned into zod once per change. */
const converted = new Map<string, { hash: string; def: JobDefinition }>();

/** The most job types read: registrations are per deployment, not per tenant. */
const MAX_REGISTERED = 500;

/**
 * Read job_types and make its types known to this process (getJobDefinition falls back to them).
 * Triggers read it every time (maxAgeMs 0: they validate with the latest registration); labels
 * on pages may use a read up to `maxAgeMs` old.
 */
export async function loadRegisteredTypes(db: Db, { maxAgeMs = 0 }: { maxAgeMs?: number } = {}): Promise<void> {
  if (maxAgeMs > 0 && Date.now() - registeredLoadedAt() < maxAgeMs) return;
  const rows = await db.select().from(jobTypes).orderBy(jobTypes.name).limit(MAX_REGISTERED);
  const defs = rows.map((row) => {
    const hit = converted.get(row.name);
    if (hit?.hash === row.definitionHash) return hit.def;
    const def = definitionFromRegistration(row);
    converted.set(row.name, { hash: row.definitionHash, def });
    return def;
  });
  setRegisteredDefinitions(defs);
}
