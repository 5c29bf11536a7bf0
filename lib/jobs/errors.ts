import { ZodError } from "zod";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import type { RunError } from "@/lib/db/schema";
import { capError } from "./redact";

export type ErrorType = "api_error" | "validation_error" | "timeout" | "internal" | "cancelled";
export type ErrorSource = "worker" | "handler" | "external_service" | "database";

type JobErrorInit = {
  type: ErrorType;
  source?: ErrorSource;
  subType: string;
  severity?: 1 | 2 | 3 | 4 | 5;
  retryable?: boolean;
  cause?: unknown;
};

/** A typed failure a handler raises; the worker stores its taxonomy on the run and its steps. */
export class JobError extends Error {
  readonly type: ErrorType;
  readonly source: ErrorSource;
  readonly subType: string;
  readonly severity: number;
  readonly retryable: boolean;

  constructor(message: string, init: JobErrorInit) {
    super(message, { cause: init.cause });
    this.name = "JobError";
    this.type = init.type;
    this.source = init.source ?? "handler";
    this.subType = init.subType;
    this.severity = init.severity ?? 3;
    // Bad input does not get better by trying again.
    this.retryable = init.retryable ?? init.type !== "validation_error";
  }
}

const PG_CODE = /^[0-9A-Z]{5}$/;

/**
 * The Postgres error behind `error`, if any: drizzle wraps driver errors (DrizzleQueryError) with
 * the postgres.js PostgresError as `cause`. Node's own EPIPE/EPERM carry no `routine`.
 */
export function postgresError(error: unknown): { code: string; message: string } | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = "code" in e ? String((e as { code: unknown }).code) : "";
    if ((e.name === "PostgresError" || "routine" in e) && PG_CODE.test(code)) return { code, message: e.message };
  }
  return null;
}

/**
 * Whether `error` says the database could not be reached (lib/db/errors.ts, the one place that
 * knows a lost connection) or gave up on the statement for reasons of its own (too many
 * connections, deadlock, serialization, lock or statement timeout, a FATAL session end), so the
 * same statement may well succeed later; rather than that it refused this statement's data.
 */
export function isTransientDbError(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // FATAL ends the session, whatever the code (shutting down, not accepting connections yet).
    if ("severity" in e && (e.severity === "FATAL" || e.severity === "PANIC")) return true;
  }
  const pg = postgresError(error);
  return pg !== null && /^(53|40001|40P01|55P03|57014)/.test(pg.code);
}

/**
 * Classify anything a handler threw into seed 001's taxonomy, its message and stack capped (the
 * error travels on to pg-boss's job output, the run row and its step rows).
 */
export function classifyError(error: unknown): RunError {
  return capError(classify(error));
}

function classify(error: unknown): RunError {
  const stack = error instanceof Error ? error.stack : undefined;
  if (error instanceof JobError) {
    return { message: error.message, type: error.type, source: error.source, subType: error.subType, severity: error.severity, retryable: error.retryable, stack };
  }
  if (error instanceof ZodError) {
    const message = error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ");
    return { message: `Invalid payload: ${message}`, type: "validation_error", source: "worker", subType: "payload_invalid", severity: 2, retryable: false, stack };
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return { message: error.message || "Timed out", type: "timeout", source: "handler", subType: "aborted", severity: 3, retryable: true, stack };
  }
  const pg = postgresError(error);
  if (pg) {
    const code = pg.code;
    // Integrity violations (class 23) are data problems; the rest (connections, deadlocks) are transient.
    const integrity = code.startsWith("23") || code.startsWith("22");
    return {
      message: pg.message,
      type: integrity ? "validation_error" : "internal",
      source: "database",
      subType: `pg_${code}`,
      severity: integrity ? 3 : 4,
      retryable: !integrity,
      stack,
    };
  }
  return { message: error instanceof Error ? error.message : String(error), type: "internal", source: "handler", subType: "unhandled_exception", severity: 4, retryable: true, stack };
}
