import { describe, expect, test } from "vitest";
import { historyFilterSchema, parseHistoryFilter } from "@/lib/runs/history-filter";
import { malformedPathReason } from "@/lib/validation/request-path";
import { NUL_MESSAGE, nulPaths, safeText } from "@/lib/validation/safe-text";

describe("safeText and nulPaths", () => {
  test("safeText refuses a NUL anywhere and keeps the usual string checks", () => {
    expect(safeText().max(5).safeParse("abc").success).toBe(true);
    expect(safeText().safeParse("a\u0000b").error?.issues[0]?.message).toBe(NUL_MESSAGE);
    expect(safeText().max(2).safeParse("abc").success).toBe(false);
  });

  test("nulPaths names every field holding a NUL: values, keys, array items, file names", () => {
    const input = { a: "ok", b: "x\u0000", nested: { list: ["fine", "bad\u0000"], ["k\u0000"]: 1 }, file: new File(["x"], "n\u0000.csv") };
    expect(nulPaths(input)).toEqual(["b", "file", "nested.k\\u0000", "nested.list.1"]);
    expect(nulPaths({ clean: ["a", { b: 1 }] })).toEqual([]);
    expect(nulPaths("\u0000", "q")).toEqual(["q"]);
  });

  test("the history filter refuses a NUL in its search and cursor (the page and the API share it)", () => {
    expect(historyFilterSchema.safeParse({ q: "ab\u0000" }).success).toBe(false);
    const parsed = parseHistoryFilter(new URLSearchParams("q=ab%00&cursor=%00x&status=failed"));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.fieldErrors).toEqual({ q: [NUL_MESSAGE], cursor: [NUL_MESSAGE] });
    expect(parsed.filter.status).toEqual(["failed"]);
    expect(parsed.filter.q ?? null).toBeNull();
    expect(parsed.filter.cursor ?? null).toBeNull();
  });
});

describe("malformedPathReason", () => {
  test.each(["/projects/%ZZ/jobs", "/api/v1/projects/x/runs/%", "/a/%E0%A4%A", "/a/%C0%AF"])("refuses the malformed escape in %s", (path) => {
    expect(malformedPathReason(path)).toMatch(/malformed percent-escape/);
  });

  test.each(["/projects/acme%00app/jobs", "/x/%0A", "/x/%7F"])("refuses the control character in %s", (path) => {
    expect(malformedPathReason(path)).toMatch(/control character/);
  });

  test.each(["/projects/acme-app/jobs", "/projects/caf%C3%A9/jobs", "/invite/abc_DEF-123", "/files/a%20b%25c"])("accepts %s", (path) => {
    expect(malformedPathReason(path)).toBeNull();
  });
});
