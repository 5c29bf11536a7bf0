import { accessErrorResponse } from "@/lib/dal/http";
import { metricsAccess, readInstanceMetrics } from "@/lib/dal/metrics";
import { instanceRegistry } from "@/lib/metrics/instance";
import { webMetrics } from "@/lib/metrics/web";
import { Registry } from "prom-client";

export const dynamic = "force-dynamic";

const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers } });

/**
 * GET /api/metrics: Prometheus text format. Off (404) unless METRICS_TOKEN is set; then it needs
 * `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). Instance-level gauges (queues, live
 * workers) read at scrape time, and this web process's own metrics (run-page poll latency,
 * process). Workers serve their own on WORKER_HEALTH_PORT.
 */
export async function GET(request: Request): Promise<Response> {
  const access = metricsAccess(request.headers.get("authorization"));
  if (access === "disabled") return text("Not found.\n", 404);
  if (access === "denied") return text("Send Authorization: Bearer <METRICS_TOKEN>.\n", 401, { "WWW-Authenticate": 'Bearer realm="metrics"' });
  try {
    const instance = instanceRegistry(await readInstanceMetrics(request.headers.get("authorization")));
    const merged = Registry.merge([webMetrics().registry, instance]);
    return text(await merged.metrics(), 200, { "Content-Type": merged.contentType });
  } catch (error) {
    // An unreachable database: 503 with Retry-After.
    return accessErrorResponse(error);
  }
}
