export const dynamic = "force-dynamic";

/**
 * GET /api/health/live: the web process is up and answering. It asks nothing of Postgres, so an
 * orchestrator does not restart web processes during a database outage (readiness says that).
 */
export function GET(): Response {
  return Response.json({ status: "live" }, { headers: { "Cache-Control": "no-store" } });
}
