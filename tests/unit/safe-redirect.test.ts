import { describe, expect, test } from "vitest";
import { DEFAULT_DESTINATION, safeDestination } from "@/lib/security/safe-redirect";

describe("safeDestination", () => {
  test.each([
    "/projects/acme-app/runs?status=failed#top",
    "/runs",
    "/projects/acme-app/runs?q=a%20b",
    "/teams/acme/settings?tab=keys&x=%2F%2F",
  ])("keeps the same-origin path %s", (path) => {
    expect(safeDestination(path)).toBe(path);
  });

  test.each([
    "/\\example.invalid/x",
    "\\\\example.invalid",
    "//example.invalid/x",
    "///example.invalid",
    "/%2F%2Fexample.invalid",
    "/%2f/example.invalid",
    "/%5Cexample.invalid",
    "/%5cexample.invalid",
    "/%252F%252Fexample.invalid",
    "/%09/example.invalid",
    "/\t/example.invalid",
    "/\n/example.invalid",
    "/..//example.invalid",
    "/%2e%2e//example.invalid",
    "https://example.invalid/x",
    "http:example.invalid",
    "javascript:alert(1)",
    "example.invalid",
    "%2F%2Fexample.invalid",
    "/%E0%A4%A",
    "",
  ])("refuses %j", (raw) => {
    const landed = new URL(safeDestination(raw), "http://runboard.test");
    expect(landed.origin).toBe("http://runboard.test");
    expect(safeDestination(raw)).toBe(DEFAULT_DESTINATION);
  });

  test("an absolute URL on our own origin keeps its path; another origin does not", () => {
    expect(safeDestination("http://runboard.test/runs?x=1", "http://runboard.test")).toBe("/runs?x=1");
    expect(safeDestination("http://runboard.test.evil.invalid/runs", "http://runboard.test")).toBe(DEFAULT_DESTINATION);
    expect(safeDestination("http://runboard.test//evil.invalid", "http://runboard.test")).toBe(DEFAULT_DESTINATION);
  });

  test("non-strings and huge values fall back", () => {
    expect(safeDestination(["/runs", "//evil"])).toBe(DEFAULT_DESTINATION);
    expect(safeDestination(`/${"a".repeat(5000)}`)).toBe(DEFAULT_DESTINATION);
  });
});
