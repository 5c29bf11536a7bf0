import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, databaseReachable } from "@/lib/dal/health";

export const dynamic = "force-dynamic";

/** GET /api/health: 200 while Postgres answers, 503 with Retry-After while it does not. No auth, no details. */
export async function GET(): Promise<Response> {
  if (await databaseReachable()) return Response.json({ database: "up" }, { headers: { "Cache-Control": "no-store" } });
  return Response.json(
    { database: "unavailable", message: DATABASE_UNAVAILABLE_MESSAGE },
    { status: 503, headers: { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store" } },
  );
}
