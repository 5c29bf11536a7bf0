import { z } from "zod";
import type { JobDefinition } from "../define";

export type PayloadField =
  | { name: string; title: string; required: boolean; kind: "file"; accept: string }
  | { name: string; title: string; required: boolean; kind: "integer" | "number"; min?: number; max?: number; defaultValue?: number }
  | { name: string; title: string; required: boolean; kind: "boolean"; defaultValue: boolean }
  | { name: string; title: string; required: boolean; kind: "enum"; options: string[]; defaultValue?: string }
  | { name: string; title: string; required: boolean; kind: "text"; defaultValue?: string };

type JsonProperty = {
  type?: string;
  title?: string;
  input?: string;
  accept?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
};

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

const described = new WeakMap<JobDefinition, PayloadField[]>();

/** The form a job type's payload needs, derived from its zod schema (one source of truth). */
export function describePayload(def: JobDefinition): PayloadField[] {
  let fields = described.get(def);
  if (!fields) {
    fields = derivePayloadFields(def);
    described.set(def, fields);
  }
  return fields;
}

function derivePayloadFields(def: JobDefinition): PayloadField[] {
  const schema = z.toJSONSchema(def.payload, { io: "input" }) as { properties?: Record<string, JsonProperty>; required?: string[] };
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]): PayloadField => {
    const base = { name, title: p.title ?? name, required: required.has(name) };
    if (p.input === "file") return { ...base, kind: "file", accept: p.accept ?? "" };
    if (p.type === "integer" || p.type === "number") {
      return {
        ...base,
        kind: p.type,
        min: p.minimum,
        max: p.maximum !== undefined && p.maximum < SAFE_MAX ? p.maximum : undefined,
        defaultValue: typeof p.default === "number" ? p.default : undefined,
      };
    }
    if (p.type === "boolean") return { ...base, kind: "boolean", defaultValue: p.default === true };
    if (p.enum) return { ...base, kind: "enum", options: p.enum.map(String), defaultValue: typeof p.default === "string" ? p.default : undefined };
    return { ...base, kind: "text", defaultValue: typeof p.default === "string" ? p.default : undefined };
  });
}

export type FormPayload = { values: Record<string, unknown>; files: Record<string, File> };

/** Read the payload fields (named `payload.<field>`) out of a submitted form, typed per field. */
export function readPayloadForm(def: JobDefinition, form: FormData): FormPayload {
  const values: Record<string, unknown> = {};
  const files: Record<string, File> = {};
  for (const field of describePayload(def)) {
    const raw = form.get(`payload.${field.name}`);
    if (field.kind === "file") {
      if (raw instanceof File && raw.size > 0) files[field.name] = raw;
      continue;
    }
    if (field.kind === "boolean") {
      values[field.name] = raw === "on" || raw === "true";
      continue;
    }
    if (typeof raw !== "string" || raw.trim() === "") continue;
    values[field.name] = field.kind === "integer" || field.kind === "number" ? Number(raw) : raw;
  }
  return { values, files };
}

/**
 * The form's fields with an earlier run's payload as their defaults ("run again with changes").
 * A value of the wrong kind for its field is left out (the schema's default stays); file fields
 * are never prefilled (a browser cannot preset a file input).
 */
export function prefillFields(fields: PayloadField[], values: Record<string, unknown>): PayloadField[] {
  return fields.map((field): PayloadField => {
    const value = values[field.name];
    switch (field.kind) {
      case "boolean":
        return typeof value === "boolean" ? { ...field, defaultValue: value } : field;
      case "integer":
      case "number":
        return typeof value === "number" && Number.isFinite(value) ? { ...field, defaultValue: value } : field;
      case "enum":
        return typeof value === "string" && field.options.includes(value) ? { ...field, defaultValue: value } : field;
      case "text":
        return typeof value === "string" ? { ...field, defaultValue: value } : field;
      case "file":
        return field;
    }
  });
}
