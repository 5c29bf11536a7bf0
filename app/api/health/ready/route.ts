import { DATABASE_RETRY_AFTER_SECONDS, readiness } from "@/lib/dal/health";

export const dynamic = "force-dynamic";

/**
 * GET /api/health/ready: 200 when Postgres answers and has every migration this build expects;
 * else 503 with the reason (database_unreachable, migrations_pending), for load balancers and
 * orchestrators. No auth: it tells nothing but which of the two is missing.
 */
export async function GET(): Promise<Response> {
  const state = await readiness();
  const headers = { "Cache-Control": "no-store" };
  if (state.ready) return Response.json({ status: "ready", database: "up", migrations: "current" }, { headers });
  return Response.json({ status: "not_ready", ...state }, { status: 503, headers: { ...headers, "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) } });
}
