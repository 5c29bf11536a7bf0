import { describe, expect, test } from "vitest";
import { JobError } from "@/lib/jobs/errors";
import { readRecords } from "@/workers/handlers/contacts-import";

function formatError(fn: () => unknown): JobError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JobError) return error;
    throw error;
  }
  throw new Error("expected readRecords to throw");
}

describe("readRecords (CSV)", () => {
  test("maps rows by a trimmed, case-insensitive header and pads short rows", () => {
    const text = "\uFEFF Email ,NAME,Company\r\nA@Example.com,Ann,Acme\r\nb@example.com,Bob\r\n";
    expect(readRecords("contacts.csv", "text/csv", text)).toEqual([
      { email: "A@Example.com", name: "Ann", company: "Acme" },
      { email: "b@example.com", name: "Bob", company: "" },
    ]);
  });

  test("a header without an email column fails with the columns it found", () => {
    const e = formatError(() => readRecords("c.csv", "text/csv", "Name,Company\nAnn,Acme\n"));
    expect(e).toMatchObject({ type: "validation_error", subType: "file_format_invalid", retryable: false });
    expect(e.message).toContain('no "email" column');
    expect(e.message).toContain("found: name, company");
  });

  test.each(["", "\n\r\n"])("an empty file fails as file_format_invalid (%j)", (text) => {
    const e = formatError(() => readRecords("c.csv", "text/csv", text));
    expect(e.subType).toBe("file_format_invalid");
    expect(e.message).toMatch(/empty/);
  });

  test("a broken quote is reported as invalid CSV", () => {
    const e = formatError(() => readRecords("c.csv", "text/csv", 'email\n"a@b.c\n'));
    expect(e.subType).toBe("file_format_invalid");
    expect(e.message).toMatch(/not valid CSV/);
  });
});

describe("readRecords (JSON)", () => {
  test("accepts an array by content type or by .json name", () => {
    const text = '[{"email":"a@b.c","name":"A"},{"email":"d@e.f"}]';
    const expected = [{ email: "a@b.c", name: "A" }, { email: "d@e.f" }];
    expect(readRecords("upload.bin", "application/json", text)).toEqual(expected);
    expect(readRecords("CONTACTS.JSON", "application/octet-stream", text)).toEqual(expected);
  });

  test("wraps non-object entries so row validation can reject them", () => {
    expect(readRecords("c.json", "application/json", '["x@y.z", null]')).toEqual([{ value: "x@y.z" }, { value: null }]);
  });

  test.each([
    ['{"email":"a@b.c"}', /must be an array/],
    ["[{email: 'a@b.c'}]", /not valid JSON/],
  ])("rejects %s as file_format_invalid", (text, message) => {
    const e = formatError(() => readRecords("c.json", "application/json", text));
    expect(e).toMatchObject({ type: "validation_error", subType: "file_format_invalid" });
    expect(e.message).toMatch(message);
  });
});
