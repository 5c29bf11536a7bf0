import { z } from "zod";
import { describePayload } from "@/lib/jobs/web/form";
import type { JobDefinition } from "@/lib/jobs/define";
import { inlineFileFields } from "./schemas";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown> };

const cache = new WeakMap<JobDefinition, JsonSchema>();

/**
 * The JSON Schema of a job type's payload as the API accepts it: the catalog's zod schema, with
 * file fields (an upload's id in the dashboard) taking an InlineFile instead.
 */
export function apiPayloadSchema(def: JobDefinition): JsonSchema {
  const cached = cache.get(def);
  if (cached) return cached;
  const schema = z.toJSONSchema(def.payload, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  delete schema.$schema;
  const fileFields = describePayload(def).filter((f) => f.kind === "file");
  if (fileFields.length > 0 && schema.properties) {
    const inline = z.toJSONSchema(inlineFileFields, { io: "input" }) as JsonSchema;
    delete inline.$schema;
    for (const f of fileFields) schema.properties[f.name] = { ...inline, title: f.title, description: `The file inline (${f.accept}).` };
  }
  cache.set(def, schema);
  return schema;
}
