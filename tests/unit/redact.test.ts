import { describe, expect, test } from "vitest";
import type { RunError } from "@/lib/db/schema";
import { errorView, redactJson, redactText } from "@/lib/jobs/redact";

describe("redactText", () => {
  test.each([
    ["postgres://app:s3cretPw@db.internal:5432/runboard", "s3cretPw", "postgres://***@db.internal:5432/runboard"],
    ["Authorization: Bearer abcDEF123456.xyz", "abcDEF123456", "Authorization: Bearer ***"],
    ["connect failed password=hunter2 host=x", "hunter2", "connect failed password=*** host=x"],
    ["api_key: AKIA99887766", "AKIA99887766", "api_key: ***"],
    ["GET /hook?token=tok_123456&x=1", "tok_123456", "GET /hook?token=***&x=1"],
    ['{"client_secret":"zzTop42"}', "zzTop42", '{"client_secret":"***"}'],
    ["stripe key sk_live_51HxYzAbCdEf rejected", "sk_live_51HxYzAbCdEf", "stripe key *** rejected"],
  ])("masks %s", (input, secret, expected) => {
    const out = redactText(input);
    expect(out).toBe(expected);
    expect(out).not.toContain(secret);
  });

  test("masks a JWT", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ";
    expect(redactText(`jwt expired: ${jwt}`)).toBe("jwt expired: ***");
  });

  test.each([
    "Row 14: email is not a valid email address",
    "Timed out after 30000 ms contacting https://api.example.com/v1/items?page=2",
    "duplicate key value violates unique constraint \"contacts_project_email\"",
  ])("leaves ordinary text untouched: %s", (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe("errorView", () => {
  const runId = "3f2a9c1e-7b4d-4e8a-9c0f-112233445566";
  const error: RunError = {
    message: "could not connect to postgres://svc:topsecret@10.0.0.5/app",
    type: "internal",
    source: "database",
    subType: "pg_08006",
    severity: 4,
    retryable: true,
    stack: "Error: could not connect\n    at connect (db.ts:1:1)",
  };

  test("support sees the full message and stack", () => {
    const view = errorView(error, runId, true);
    expect(view.message).toBe(error.message);
    expect(view.stack).toBe(error.stack);
    expect(view.reference).toBe("ERR-3F2A9C1E");
  });

  test("a tenant sees a masked message, no stack and the same reference", () => {
    const view = errorView(error, runId, false);
    expect(view.message).toBe("could not connect to postgres://***@10.0.0.5/app");
    expect(view.stack).toBeNull();
    expect(view.reference).toMatch(/^ERR-[0-9A-F]{8}$/);
    expect(view.reference).toBe(errorView(error, runId, true).reference);
    expect(view).toMatchObject({ type: "internal", source: "database", subType: "pg_08006", severity: 4, retryable: true });
  });

  test("support gets stack null rather than undefined when none was recorded", () => {
    const { stack: _stack, ...noStack } = error;
    expect(errorView(noStack, runId, true).stack).toBeNull();
  });
});

describe("redaction of harder secrets", () => {
  test.each([
    ["redis://:secret@host:6379", "redis://***@host:6379"],
    ["postgres://user:pa/ss@host/db", "postgres://***@host/db"],
    ["postgres://user:p@ss@host x", "postgres://***@host x"],
    ['password = "my secret" ok', 'password = "***" ok'],
    ["xoxb-1234567890-abcdefghij", "***"],
    ["sk-proj-abcdefghijklmnop", "***"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  test("redactJson masks strings inside a JSON value and keeps it a valid value", () => {
    expect(redactJson({ msg: 'password="abc"', n: [1, 'token: "x1"'], ok: true })).toEqual({ msg: 'password="***"', n: [1, 'token: "***"'], ok: true });
  });
});

test("prefixed secret names are masked too (access_token, db-password)", () => {
  expect(redactText('{"access_token":"abc123"}')).toBe('{"access_token":"***"}');
  expect(redactText("db-password=hunter2 ok")).toBe("db-password=*** ok");
  expect(redactText("the tokenizer works")).toBe("the tokenizer works");
});

test("redactJson masks values under secret-named keys whatever they look like", () => {
  expect(redactJson({ api_key: "k-9f8e", password: "hunter2", nested: { access_token: "abc", count: 3 }, token: null, list: [{ "x-api-key": "q" }] })).toEqual({
    api_key: "***",
    password: "***",
    nested: { access_token: "***", count: 3 },
    token: null,
    list: [{ "x-api-key": "***" }],
  });
});
