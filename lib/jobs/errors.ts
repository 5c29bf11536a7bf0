import { ZodError } from "zod";
import type { RunError } from "@/lib/db/schema";

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

/** Classify anything a handler threw into seed 001's taxonomy. */
export function classifyError(error: unknown): RunError {
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
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  // postgres.js errors carry the server's `routine`; Node's EPIPE/EPERM do not.
  const fromPostgres = error instanceof Error && (error.name === "PostgresError" || "routine" in error);
  if (fromPostgres && PG_CODE.test(code)) {
    // Integrity violations (class 23) are data problems; the rest (connections, deadlocks) are transient.
    const integrity = code.startsWith("23") || code.startsWith("22");
    return {
      message: error instanceof Error ? error.message : String(error),
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
