import { describe, expect, test } from "vitest";
import { z } from "zod";
import { classifyError, isTransientDbError, JobError } from "@/lib/jobs/errors";

describe("JobError", () => {
  test("validation errors default to not retryable, severity 3, source handler", () => {
    const e = new JobError("bad file", { type: "validation_error", subType: "file_format_invalid" });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: "JobError", message: "bad file", retryable: false, severity: 3, source: "handler" });
  });

  test.each(["api_error", "timeout", "internal", "cancelled"] as const)("%s defaults to retryable", (type) => {
    expect(new JobError("x", { type, subType: "s" }).retryable).toBe(true);
  });

  test("explicit options override the defaults and keep the cause", () => {
    const cause = new Error("root");
    const e = new JobError("x", { type: "api_error", subType: "rate_limited", source: "external_service", severity: 5, retryable: false, cause });
    expect(e).toMatchObject({ source: "external_service", severity: 5, retryable: false, cause });
  });
});

describe("classifyError", () => {
  test("keeps a JobError's own taxonomy", () => {
    const e = new JobError("upstream 503", { type: "api_error", subType: "http_503", source: "external_service", severity: 2 });
    expect(classifyError(e)).toMatchObject({ message: "upstream 503", type: "api_error", source: "external_service", subType: "http_503", severity: 2, retryable: true });
    expect(classifyError(e).stack).toContain("upstream 503");
  });

  test("a ZodError is an invalid payload, not retryable, naming the failing path", () => {
    const parsed = z.object({ days: z.number() }).safeParse({ days: "x" });
    expect(parsed.success).toBe(false);
    const c = classifyError(parsed.error);
    expect(c).toMatchObject({ type: "validation_error", source: "worker", subType: "payload_invalid", severity: 2, retryable: false });
    expect(c.message).toMatch(/^Invalid payload: days: /);
  });

  test("an AbortError is a retryable timeout", () => {
    expect(classifyError(new DOMException("The operation was aborted", "AbortError"))).toMatchObject({ type: "timeout", subType: "aborted", retryable: true });
  });

  test("a Postgres unique violation (23505) is a non-retryable validation error", () => {
    const e = Object.assign(new Error("duplicate key value"), { name: "PostgresError", code: "23505", routine: "_bt_check_unique" });
    expect(classifyError(e)).toMatchObject({ message: "duplicate key value", type: "validation_error", source: "database", subType: "pg_23505", severity: 3, retryable: false });
  });

  test("a Postgres deadlock (40P01) is a retryable internal error", () => {
    const e = Object.assign(new Error("deadlock detected"), { name: "PostgresError", code: "40P01", routine: "DeadLockReport" });
    expect(classifyError(e)).toMatchObject({ type: "internal", source: "database", subType: "pg_40P01", severity: 4, retryable: true });
  });

  test("a Node system error with a five-letter code (EPIPE) is not mistaken for a Postgres one", () => {
    const e = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    expect(classifyError(e)).toMatchObject({ source: "handler", subType: "unhandled_exception", retryable: true });
  });

  test("a plain Error is an unhandled internal exception, retryable, severity 4", () => {
    expect(classifyError(new Error("boom"))).toMatchObject({ message: "boom", type: "internal", source: "handler", subType: "unhandled_exception", severity: 4, retryable: true });
  });

  test("a thrown non-Error value is stringified with no stack", () => {
    const c = classifyError("just a string");
    expect(c).toMatchObject({ message: "just a string", type: "internal", subType: "unhandled_exception" });
    expect(c.stack).toBeUndefined();
  });
});

test("a Postgres error wrapped by drizzle (as its cause) is still classified from its code", () => {
  const driver = Object.assign(new Error("duplicate key value violates unique constraint"), { name: "PostgresError", code: "23505", routine: "_bt_check_unique" });
  const wrapped = new Error("Failed query: insert into ...", { cause: driver });
  expect(classifyError(wrapped)).toMatchObject({ type: "validation_error", source: "database", subType: "pg_23505", message: "duplicate key value violates unique constraint", retryable: false });
});

describe("isTransientDbError", () => {
  const pg = (code: string, severity = "ERROR") => Object.assign(new Error(code), { name: "PostgresError", code, severity, routine: "x" });
  test("a lost or refused connection, a server going down or busy, a deadlock: worth trying again", () => {
    for (const error of [
      Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      pg("57P01", "FATAL"),
      pg("55000", "FATAL"),
      pg("57P03"),
      pg("53300"),
      pg("40P01"),
      new Error("Failed query", { cause: pg("08006") }),
    ]) {
      expect(isTransientDbError(error), error.message).toBe(true);
    }
  });

  test("data the database refuses, or an error that is not the database's: not", () => {
    for (const error of [pg("22P05"), pg("23505"), pg("42703"), new Error("boom"), "text"]) expect(isTransientDbError(error)).toBe(false);
  });
});
