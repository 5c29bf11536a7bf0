import { describe, expect, test } from "vitest";
import { CsvReader, parseCsv, toCsvRow } from "@/lib/csv";

describe("parseCsv", () => {
  test("reads quoted fields holding commas, newlines and doubled quotes", () => {
    const text = 'name,note\r\n"Smith, Jo","line one\nline two"\r\n"say ""hi""",plain\r\n';
    expect(parseCsv(text)).toEqual([
      ["name", "note"],
      ["Smith, Jo", "line one\nline two"],
      ['say "hi"', "plain"],
    ]);
  });

  test("accepts LF, CRLF and a mix, with or without a final newline", () => {
    const expected = [["a", "b"], ["1", "2"]];
    expect(parseCsv("a,b\n1,2\n")).toEqual(expected);
    expect(parseCsv("a,b\r\n1,2")).toEqual(expected);
    expect(parseCsv("a,b\r\n1,2\n")).toEqual(expected);
  });

  test("skips a UTF-8 BOM so the first header is clean", () => {
    expect(parseCsv("\uFEFFemail,name\nx@y.z,X")[0]).toEqual(["email", "name"]);
  });

  test("drops blank lines but keeps empty fields inside a record", () => {
    expect(parseCsv("a,b\n\n\r\n1,\n,2\n\n")).toEqual([["a", "b"], ["1", ""], ["", "2"]]);
  });

  test("returns no rows for empty input", () => {
    expect(parseCsv("")).toEqual([]);
  });

  test("throws on an unterminated quoted field", () => {
    expect(() => parseCsv('a,b\n"open,2\n')).toThrow(/Unterminated quoted field/);
  });
});

describe("CsvReader", () => {
  const tricky = '\uFEFFname,note\r\n"Smith, Jo","line one\r\nline two"\r\n"say ""hi""",plain\r\n\r\n"",x\n""""\nlast,"end"';

  test.each([1, 2, 3, 5, 7])("reads text fed in pieces of %i characters as it reads it whole", (size) => {
    const reader = new CsvReader();
    const rows: string[][] = [];
    for (let at = 0; at < tricky.length; at += size) rows.push(...reader.push(tricky.slice(at, at + size)));
    rows.push(...reader.end());
    expect(rows).toEqual(parseCsv(tricky));
    expect(rows).toHaveLength(6);
  });

  test("refuses a record with more columns than allowed, and one longer than allowed, naming the row", () => {
    expect(() => new CsvReader({ maxColumns: 3, maxRecordChars: 100 }).push("a,b,c\n1,2,3,4\n")).toThrow("Row 2 has more than 3 columns");
    expect(() => new CsvReader({ maxColumns: 3, maxRecordChars: 10 }).push("a\n12345678901\n")).toThrow("Row 2 is longer than 10 characters");
    // An unfinished record is held back only up to the limit.
    expect(() => new CsvReader({ maxColumns: 3, maxRecordChars: 10 }).push('a\n"123456789012')).toThrow("Row 2 is longer than 10 characters");
  });
});

describe("toCsvRow", () => {
  test("quotes only fields that need it and ends with CRLF", () => {
    expect(toCsvRow(["plain", "a,b", 'he said "x"', "two\nlines", 42, true])).toBe(
      'plain,"a,b","he said ""x""","two\nlines",42,true\r\n',
    );
  });

  test("writes null and undefined as empty and dates as ISO 8601", () => {
    expect(toCsvRow([null, "x", undefined, new Date(Date.UTC(2024, 0, 2, 3, 4, 5))])).toBe(",x,,2024-01-02T03:04:05.000Z\r\n");
  });

  test.each(["=SUM(A1:A9)", "+1", "-2+3", "@cmd"])("neutralises formula-looking value %s with a leading quote", (value) => {
    expect(toCsvRow([value])).toBe(`'${value}\r\n`);
  });

  test("neutralises and still quotes a formula that contains a comma", () => {
    expect(toCsvRow(['=HYPERLINK("http://x",1)'])).toBe(`"'=HYPERLINK(""http://x"",1)"\r\n`);
  });

  test("round-trips tricky strings through toCsvRow and parseCsv", () => {
    const values = ['a "quoted" word', "comma, inside", "multi\r\nline", "trailing quote\"", "", "ünïcødé ✓", "  spaced  "];
    const text = toCsvRow(values) + toCsvRow(["second", ...values.slice(1)]);
    expect(parseCsv(text)).toEqual([values, ["second", ...values.slice(1)]]);
  });

  test("numbers, negative ones included, are written as numbers, not neutralised text", () => {
    expect(toCsvRow([-5, 3.5, "-5"])).toBe("-5,3.5,'-5\r\n");
  });

  test("a line holding only a quoted empty field is a record, unlike a blank line", () => {
    expect(parseCsv('x\n""\n\ny\n')).toEqual([["x"], [""], ["y"]]);
  });
});
