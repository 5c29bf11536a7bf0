/**
 * "Postgres is unreachable right now", told apart from every other database error in one place,
 * so the web can answer 503 (and retry) instead of 500 while Postgres restarts or is down.
 * Imported by web and worker alike (no 'server-only').
 */

/** Node socket errors and postgres.js's own codes for a connection that failed or went away. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "DATABASE_UNREACHABLE",
]);

/**
 * SQLSTATEs of a server going away or not accepting connections yet: admin_shutdown (57P01, fast
 * shutdown), crash_shutdown (57P02), cannot_connect_now (57P03, starting up or shutting down),
 * and class 08, connection exceptions.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

/** node-postgres (pg-boss's driver) reports a timed-out or dropped connection by message only. */
const PG_CONNECTION_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect)/;

function codeOf(error: object): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : null;
}

/** True when the error (or what it wraps: drizzle's query error, an AggregateError) is a lost or refused connection. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 5) return false;
  const code = codeOf(error);
  if (code && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (!code && PG_CONNECTION_MESSAGE.test(String((error as { message?: unknown }).message ?? ""))) return true;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/** A request gave up waiting on the database because a fresh connection to it failed (see lib/dal/health.ts). */
export class DatabaseUnreachableError extends Error {
  readonly code = "DATABASE_UNREACHABLE";
  constructor(cause: unknown) {
    super("The database is unreachable", { cause });
  }
}

/** A short reason for logs: the innermost code and message, not drizzle's query text and parameters. */
export function unavailableReason(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null && (e as { cause?: unknown }).cause; depth++) e = (e as { cause: unknown }).cause;
  if (typeof e !== "object" || e === null) return String(e);
  const code = codeOf(e);
  const message = String((e as { message?: unknown }).message ?? "").split("\n")[0]!.slice(0, 160);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** What people see while Postgres is unreachable, and how long clients should wait before retrying. */
export const DATABASE_UNAVAILABLE_MESSAGE = "Database unavailable, retrying. Try again in a few seconds.";
export const DATABASE_RETRY_AFTER_SECONDS = 2;
