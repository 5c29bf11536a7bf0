import { describe, expect, test } from "vitest";
import { JobError } from "@/lib/jobs/errors";
import { IMPORT_CHUNK_BYTES, IMPORT_CSV_LIMITS, readRecords } from "@/jobs/contacts-import.handler";

type Row = Record<string, unknown>;

async function collect(name: string, contentType: string, text: string | Uint8Array, batchSize?: number): Promise<Row[][]> {
  const batches: Row[][] = [];
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  for await (const batch of readRecords(name, contentType, bytes, batchSize)) batches.push(batch);
  return batches;
}

const records = async (name: string, contentType: string, text: string | Uint8Array) => (await collect(name, contentType, text)).flat();

async function formatError(name: string, contentType: string, text: string | Uint8Array): Promise<JobError> {
  try {
    await collect(name, contentType, text);
  } catch (error) {
    if (error instanceof JobError) return error;
    throw error;
  }
  throw new Error("expected readRecords to throw");
}

/** Counts turns of the event loop while `work` runs: a reader that never yields lets none through. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  running = false;
  return ticks;
}

/** The shape that froze the worker: a 20,000-column header over 1,000 short rows (~30 KB). */
const WIDE_HEADER = `email,${Array.from({ length: 19_999 }, (_, i) => `c${i}`).join(",")}\n${"a@example.com,x\n".repeat(1000)}`;

describe("readRecords (CSV)", () => {
  test("maps rows by a trimmed, case-insensitive header and pads short rows", async () => {
    const text = "\uFEFF Email ,NAME,Company\r\nA@Example.com,Ann,Acme\r\nb@example.com,Bob\r\n";
    expect(await records("contacts.csv", "text/csv", text)).toEqual([
      { email: "A@Example.com", name: "Ann", company: "Acme" },
      { email: "b@example.com", name: "Bob", company: "" },
    ]);
  });

  test("keeps only the contact columns, in batches of the given size", async () => {
    const text = `id,email,notes\n${Array.from({ length: 5 }, (_, i) => `${i},u${i}@x.io,n${i}`).join("\n")}\n`;
    const batches = await collect("c.csv", "text/csv", text, 2);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches[0]![0]).toEqual({ email: "u0@x.io" });
  });

  test("reads a record whose quoted line breaks and multi-byte characters straddle the read pieces", async () => {
    const note = `"${"é".repeat(IMPORT_CHUNK_BYTES / 2 - 3)}\n""quoted"""`;
    const text = `email,name\r\nzo@example.com,${note}\r\nyu@example.com,Yu\r\n`;
    expect(await records("c.csv", "text/csv", text)).toEqual([
      // Cut to 1000 characters before validation (which refuses more than 200 anyway).
      { email: "zo@example.com", name: "é".repeat(1000) },
      { email: "yu@example.com", name: "Yu" },
    ]);
  });

  test("a header without an email column fails with the columns it found", async () => {
    const e = await formatError("c.csv", "text/csv", "Name,Company\nAnn,Acme\n");
    expect(e).toMatchObject({ type: "validation_error", subType: "file_format_invalid", retryable: false });
    expect(e.message).toContain('no "email" column');
    expect(e.message).toContain("found: name, company");
  });

  test("a long header without an email column is named in part, not whole", async () => {
    const e = await formatError("c.csv", "text/csv", `${Array.from({ length: 500 }, () => "a-".repeat(30)).join(",")}\n`);
    expect(e.message).toContain("(500 columns)");
    expect(e.message.length).toBeLessThan(1200);
  });

  test.each(["", "\n\r\n"])("an empty file fails as file_format_invalid (%j)", async (text) => {
    const e = await formatError("c.csv", "text/csv", text);
    expect(e.subType).toBe("file_format_invalid");
    expect(e.message).toMatch(/empty/);
  });

  test("a broken quote is reported as invalid CSV", async () => {
    const e = await formatError("c.csv", "text/csv", 'email\n"a@b.c\n');
    expect(e.subType).toBe("file_format_invalid");
    expect(e.message).toMatch(/not valid CSV/);
  });

  test("the 20,000-column header is refused at once, naming the limit", async () => {
    const e = await formatError("c.csv", "text/csv", WIDE_HEADER);
    expect(e).toMatchObject({ type: "validation_error", subType: "file_format_invalid", retryable: false });
    expect(e.message).toBe(`The file is not valid CSV: Row 1 has more than ${IMPORT_CSV_LIMITS.maxColumns} columns (the most allowed).`);
  });

  test("a data row wider than the limit is refused with its row number", async () => {
    const e = await formatError("c.csv", "text/csv", `email\na@example.com\n${",".repeat(IMPORT_CSV_LIMITS.maxColumns)}\n`);
    expect(e.message).toContain(`Row 3 has more than ${IMPORT_CSV_LIMITS.maxColumns} columns`);
  });

  test("a row longer than the limit is refused, also when it never ends", async () => {
    const long = "x".repeat(IMPORT_CSV_LIMITS.maxRecordChars + 1);
    expect((await formatError("c.csv", "text/csv", `email\n${long}\n`)).message).toContain(`Row 2 is longer than ${IMPORT_CSV_LIMITS.maxRecordChars} characters`);
    expect((await formatError("c.csv", "text/csv", `email\n"${"y".repeat(3 * IMPORT_CHUNK_BYTES)}`)).message).toContain("Row 2 is longer than");
  });

  test("the widest allowed file (1,000 columns on every row) reads every row", async () => {
    const width = IMPORT_CSV_LIMITS.maxColumns;
    const header = `email,${Array.from({ length: width - 1 }, (_, i) => `c${i}`).join(",")}`;
    const rows = Array.from({ length: 1000 }, (_, i) => `u${i}@example.com${",".repeat(width - 1)}`);
    const got = await records("c.csv", "text/csv", `${header}\n${rows.join("\n")}\n`);
    expect(got).toHaveLength(1000);
    expect(got[999]).toEqual({ email: "u999@example.com" });
  });

  test("reading gives the event loop a turn for every piece of the file", async () => {
    const text = `email,name\n${"someone@example.com,Some One\n".repeat(40_000)}`; // ~1.1 MB
    const pieces = Math.floor(text.length / IMPORT_CHUNK_BYTES);
    let count = 0;
    const ticks = await ticksDuring(async () => {
      count = (await records("c.csv", "text/csv", text)).length;
    });
    expect(count).toBe(40_000);
    expect(ticks).toBeGreaterThanOrEqual(pieces);
  });
});

describe("readRecords (JSON)", () => {
  test("accepts an array by content type or by .json name", async () => {
    const text = '[{"email":"a@b.c","name":"A"},{"email":"d@e.f"}]';
    const expected = [{ email: "a@b.c", name: "A" }, { email: "d@e.f" }];
    expect(await records("upload.bin", "application/json", text)).toEqual(expected);
    expect(await records("CONTACTS.JSON", "application/octet-stream", text)).toEqual(expected);
  });

  test("wraps non-object entries so row validation can reject them", async () => {
    expect(await records("c.json", "application/json", '["x@y.z", null]')).toEqual([{ value: "x@y.z" }, { value: null }]);
  });

  test.each([
    ['{"email":"a@b.c"}', /must be an array/],
    ["[{email: 'a@b.c'}]", /not valid JSON/],
  ])("rejects %s as file_format_invalid", async (text, message) => {
    const e = await formatError("c.json", "application/json", text);
    expect(e).toMatchObject({ type: "validation_error", subType: "file_format_invalid" });
    expect(e.message).toMatch(message);
  });
});
