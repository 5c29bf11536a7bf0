import { sql } from "drizzle-orm";
import { integer, json, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { tstz } from "./columns";

/** A registered type's retry policy, as JobDefinition.retry. */
export type RegisteredRetry = { limit: number; delaySeconds: number; backoff: boolean };
/** Where a run's resource comes from, declared (a function does not serialise): `payload[field]` is its id. */
export type ResourceDescriptor = { type: string; field: string };

/**
 * Job type definitions as the workers that serve them registered them at start (lib/jobs/registry).
 * The dashboard, API and CLI learn job types defined only in another service's code from here:
 * the payload's JSON Schema drives the Run form and validates triggers. A type in Runboard's own
 * code catalog is registered too, but the web uses its code. Last registration wins.
 */
export const jobTypes = pgTable("job_types", {
  name: text("name").primaryKey(),
  label: text("label").notNull(),
  description: text("description").notNull(),
  scope: text("scope", { enum: ["project", "system"] }).notNull(),
  /** z.toJSONSchema(payload, { io: "input" }); json, not jsonb, which would reorder the Run form's fields. */
  payloadSchema: json("payload_schema").$type<Record<string, unknown>>().notNull(),
  retry: jsonb("retry").$type<RegisteredRetry>().notNull(),
  schedule: text("schedule"),
  overlap: text("overlap", { enum: ["project", "resource", "none"] }).notNull(),
  timeoutSeconds: integer("timeout_seconds"),
  resource: jsonb("resource").$type<ResourceDescriptor>(),
  /** The service that registered it last (startWorker's `source`, by default its worker name). */
  source: text("source").notNull(),
  /** The worker instance (workers.id) that registered it last. */
  registeredBy: text("registered_by").notNull(),
  /** Of everything above but source and registeredBy: tells a changed definition from a restart. */
  definitionHash: text("definition_hash").notNull(),
  registeredAt: tstz("registered_at").notNull().default(sql`now()`),
  /** When a registration last changed the definition (a restart with the same one leaves it). */
  updatedAt: tstz("updated_at").notNull().default(sql`now()`),
  /** When a worker last registered it, changed or not. */
  seenAt: tstz("seen_at").notNull().default(sql`now()`),
});
