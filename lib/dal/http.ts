import "server-only";
import { AccessError } from "./access";

/** Map DAL access failures to HTTP answers; anything else is a bug and a 500. */
export function accessErrorResponse(error: unknown): Response {
  if (error instanceof AccessError) {
    const status = error.code === "unauthenticated" ? 401 : error.code === "forbidden" ? 403 : 404;
    return Response.json({ error: { code: error.code, message: error.message } }, { status });
  }
  throw error;
}
