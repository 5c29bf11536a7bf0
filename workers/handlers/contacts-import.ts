import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { parseCsv } from "@/lib/csv";
import { contacts, files } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import type { JobHandler } from "../context";

const BATCH = 500;
const MAX_REPORTED_ROW_ERRORS = 50;

const contactRow = z.object({
  email: z.email("not a valid email address").transform((e) => e.toLowerCase()),
  name: z.string().trim().max(200, "name is longer than 200 characters").optional().transform((v) => v || null),
  company: z.string().trim().max(200, "company is longer than 200 characters").optional().transform((v) => v || null),
});
type ContactRow = z.output<typeof contactRow>;
type RawRow = Record<string, unknown>;

function fileFormatError(message: string): JobError {
  return new JobError(message, { type: "validation_error", subType: "file_format_invalid", severity: 2 });
}

/** Turn the uploaded file into raw records keyed by column name (CSV header or JSON keys). */
export function readRecords(name: string, contentType: string, text: string): RawRow[] {
  const isJson = contentType.includes("json") || name.toLowerCase().endsWith(".json");
  if (isJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw fileFormatError(`The file is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw fileFormatError("A JSON import must be an array of objects with an email field.");
    return parsed.map((r) => (typeof r === "object" && r !== null ? (r as RawRow) : { value: r }));
  }
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (error) {
    throw fileFormatError(`The file is not valid CSV: ${(error as Error).message}`);
  }
  const [header, ...body] = rows;
  if (!header) throw fileFormatError("The file is empty: expected a header row with an email column.");
  const columns = header.map((h) => h.trim().toLowerCase());
  if (!columns.includes("email")) {
    throw fileFormatError(`The CSV header has no "email" column (found: ${columns.join(", ") || "nothing"}). Add one and upload again.`);
  }
  return body.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""])));
}

/** Import contacts row by row: valid rows are upserted by email, invalid rows counted and reported. */
export const contactsImport: JobHandler<"contacts_import"> = async (ctx) => {
  const projectId = ctx.projectId;
  if (!projectId) throw new JobError("An import needs a project", { type: "validation_error", subType: "project_missing" });

  const file = await ctx.step("load_file", async () => {
    const [row] = await ctx.db
      .select({ name: files.name, contentType: files.contentType, content: files.content })
      .from(files)
      .where(and(eq(files.id, ctx.payload.fileId), eq(files.projectId, projectId)));
    if (!row) throw new JobError("The uploaded file no longer exists", { type: "validation_error", subType: "file_not_found" });
    return row;
  });

  const records = await ctx.step("parse", async () => readRecords(file.name, file.contentType, file.content.toString("utf8")));
  const total = records.length;
  ctx.progress({ processed: 0, total, message: `Parsed ${total} rows` });

  ctx.stage("import_rows");
  let imported = 0;
  let skipped = 0;
  const rowErrors: { row: number; reason: string }[] = [];
  for (let start = 0; start < total; start += BATCH) {
    if (ctx.signal.aborted) return { total, imported, skipped, processed: start, rowErrors, stopped: true };
    const valid = new Map<string, ContactRow>();
    records.slice(start, start + BATCH).forEach((raw, i) => {
      const parsed = contactRow.safeParse(raw);
      if (parsed.success) valid.set(parsed.data.email, parsed.data);
      else {
        skipped++;
        if (rowErrors.length < MAX_REPORTED_ROW_ERRORS) {
          // Row numbers as a person counts them in the file (header is row 1).
          rowErrors.push({ row: start + i + 2, reason: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") });
        }
      }
    });
    if (valid.size > 0) {
      await ctx.db
        .insert(contacts)
        .values([...valid.values()].map((c) => ({ projectId, ...c })))
        .onConflictDoUpdate({
          target: [contacts.projectId, contacts.email],
          set: { name: sql`coalesce(excluded.name, ${contacts.name})`, company: sql`coalesce(excluded.company, ${contacts.company})`, updatedAt: sql`now()` },
        });
      imported += valid.size;
    }
    const processed = Math.min(total, start + BATCH);
    ctx.progress({ processed, total, message: `Imported ${imported}, ${skipped} skipped` });
  }
  return { total, imported, skipped, rowErrors };
};
