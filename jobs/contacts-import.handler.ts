import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { CsvError, CsvReader, type CsvLimits } from "@/lib/csv";
import { contacts, files } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import type { JobHandler } from "@/lib/jobs/define";
import type { ContactsImportPayload } from "./contacts-import";

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

/** Limits of an import's CSV: contacts need three columns; wider or longer rows are not contact lists. */
export const IMPORT_CSV_LIMITS: CsvLimits = { maxColumns: 1000, maxRecordChars: 64 * 1024 };
/** Bytes decoded and parsed between two turns of the event loop (well under a millisecond of work). */
export const IMPORT_CHUNK_BYTES = 64 * 1024;
const FIELDS = ["email", "name", "company"] as const;

/** Let the event loop run (heartbeats, other runs' progress, cancel checks) between pieces of work. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The file's text in pieces of IMPORT_CHUNK_BYTES; a character split between pieces is carried over. */
function* textPieces(content: Uint8Array): Generator<string> {
  const decoder = new TextDecoder();
  for (let at = 0; at < content.byteLength; at += IMPORT_CHUNK_BYTES) {
    yield decoder.decode(content.subarray(at, at + IMPORT_CHUNK_BYTES), { stream: true });
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** Longer values fail validation anyway (name and company ≤ 200): cut before it, which is costly on huge strings. */
const MAX_VALUE_CHARS = 1000;

function pick(source: (field: (typeof FIELDS)[number]) => unknown): RawRow {
  const out: RawRow = {};
  for (const f of FIELDS) {
    const value = source(f);
    if (value !== undefined) out[f] = typeof value === "string" && value.length > MAX_VALUE_CHARS ? value.slice(0, MAX_VALUE_CHARS) : value;
  }
  return out;
}

/**
 * The uploaded file's records (the columns a contact has, keyed by CSV header or JSON key), in
 * batches of at most `batchSize`, read piece by piece with a turn of the event loop between
 * pieces: time and memory stay linear in the file, and a hostile file cannot hold the worker.
 */
export async function* readRecords(name: string, contentType: string, content: Uint8Array, batchSize = BATCH): AsyncGenerator<RawRow[]> {
  const isJson = contentType.includes("json") || name.toLowerCase().endsWith(".json");
  if (isJson) {
    // JSON has no record boundary to stream on; its size is bounded by the upload limit.
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(content));
    } catch (error) {
      throw fileFormatError(`The file is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw fileFormatError("A JSON import must be an array of objects with an email field.");
    for (let start = 0; start < parsed.length; start += batchSize) {
      await nextTurn();
      yield parsed.slice(start, start + batchSize).map((r: unknown) => (typeof r === "object" && r !== null ? pick((f) => (r as RawRow)[f]) : { value: r }));
    }
    return;
  }
  const reader = new CsvReader(IMPORT_CSV_LIMITS);
  let columns: Map<(typeof FIELDS)[number], number> | null = null;
  const batch: RawRow[] = [];
  const take = (rows: string[][]): void => {
    for (const cells of rows) {
      if (!columns) {
        columns = headerColumns(cells);
        continue;
      }
      const at = columns;
      batch.push(pick((f) => (at.has(f) ? (cells[at.get(f)!] ?? "") : undefined)));
    }
  };
  try {
    for (const piece of textPieces(content)) {
      take(reader.push(piece));
      while (batch.length >= batchSize) yield batch.splice(0, batchSize);
      await nextTurn();
    }
    take(reader.end());
  } catch (error) {
    if (error instanceof CsvError) throw fileFormatError(`The file is not valid CSV: ${error.message}`);
    throw error;
  }
  if (!columns) throw fileFormatError("The file is empty: expected a header row with an email column.");
  while (batch.length > 0) yield batch.splice(0, batchSize);
}

/** Where each contact field is in the header (trimmed, case-insensitive; the last of duplicates). */
function headerColumns(header: string[]): Map<(typeof FIELDS)[number], number> {
  const names = header.map((h) => h.trim().toLowerCase());
  if (!names.includes("email")) {
    // The header is the tenant's text: name only the first columns, each cut short.
    const shown = names.slice(0, 20).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n));
    const found = shown.join(", ") + (names.length > 20 ? `, … (${names.length} columns)` : "");
    throw fileFormatError(`The CSV header has no "email" column (found: ${found || "nothing"}). Add one and upload again.`);
  }
  const at = new Map<(typeof FIELDS)[number], number>();
  for (const f of FIELDS) {
    const i = names.lastIndexOf(f);
    if (i >= 0) at.set(f, i);
  }
  return at;
}

/** Import contacts row by row: valid rows are upserted by email, invalid rows counted and reported. */
const contactsImport: JobHandler<ContactsImportPayload> = async (ctx) => {
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

  // Two passes over the file: the first checks it whole and counts its records (a malformed file
  // fails before anything is imported, and progress has a total); the second imports batch by batch.
  const total = await ctx.step("parse", async () => {
    let count = 0;
    for await (const batch of readRecords(file.name, file.contentType, file.content)) count += batch.length;
    return count;
  });
  ctx.progress({ processed: 0, total, message: `Parsed ${total} rows` });

  ctx.stage("import_rows");
  let imported = 0;
  let skipped = 0;
  let start = 0;
  const rowErrors: { row: number; reason: string }[] = [];
  for await (const batch of readRecords(file.name, file.contentType, file.content)) {
    if (ctx.signal.aborted) return { total, imported, skipped, processed: start, rowErrors, stopped: true };
    const valid = new Map<string, ContactRow>();
    batch.forEach((raw, i) => {
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
    start += batch.length;
    ctx.progress({ processed: Math.min(total, start), total, message: `Imported ${imported}, ${skipped} skipped` });
  }
  return { total, imported, skipped, rowErrors };
};

export default contactsImport;
