import "server-only";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "@/lib/db/errors";
import { AccessError } from "./access";

/**
 * Map DAL failures to HTTP answers for the dashboard's routes: access failures to 401/403/404,
 * an unreachable database to 503 with Retry-After; anything else is a bug and a 500.
 */
export function accessErrorResponse(error: unknown): Response {
  if (error instanceof AccessError) {
    const status = error.code === "unauthenticated" ? 401 : error.code === "forbidden" ? 403 : 404;
    return Response.json({ error: { code: error.code, message: error.message } }, { status });
  }
  if (isDatabaseUnavailable(error)) {
    return Response.json(
      { error: { code: "database_unavailable", message: DATABASE_UNAVAILABLE_MESSAGE } },
      { status: 503, headers: { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store" } },
    );
  }
  throw error;
}
