import "server-only";
import { jobDefinitionForTrigger } from "@/lib/dal/job-types";
import { describePayload, type FormPayload } from "@/lib/jobs/web/form";
import { ApiError, fieldErrorsOf } from "./handler";
import { inlineFileSchema } from "./schemas";

/**
 * A JSON payload as the DAL's trigger takes it: file-typed fields (given inline, see
 * InlineFile) become files; every other value is passed as is for the job type's schema.
 */
export async function payloadFromJson(slug: string, jobType: string, payload: Record<string, unknown>): Promise<FormPayload> {
  const def = await jobDefinitionForTrigger(slug, jobType);
  if (!def) {
    throw new ApiError(422, "invalid", `Unknown job type "${jobType.slice(0, 100)}".`, { fieldErrors: { jobType: ["Not a project job type: list them with GET /api/v1/projects/{slug}/job-types."] } });
  }
  const values: Record<string, unknown> = { ...payload };
  const files: Record<string, File> = {};
  const fieldErrors: Record<string, string[]> = {};
  for (const field of describePayload(def)) {
    if (field.kind !== "file") continue;
    const raw = values[field.name];
    delete values[field.name];
    if (raw === undefined) continue;
    const parsed = inlineFileSchema.safeParse(raw);
    if (!parsed.success) {
      Object.assign(fieldErrors, fieldErrorsOf(parsed.error, `payload.${field.name}`));
      continue;
    }
    const { name, contentType, encoding, content } = parsed.data;
    if (encoding === "base64" && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(content)) {
      fieldErrors[`payload.${field.name}.content`] = ["Not valid base64."];
      continue;
    }
    const bytes = Buffer.from(content, encoding);
    files[field.name] = new File([bytes], name, { type: contentType ?? (name.endsWith(".json") ? "application/json" : "text/csv") });
  }
  if (Object.keys(fieldErrors).length > 0) throw new ApiError(422, "invalid", "The payload is not valid.", { fieldErrors });
  return { values, files };
}
