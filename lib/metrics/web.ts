import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Latency buckets (seconds) for requests answered from an index probe or two. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type WebMetrics = { registry: Registry; poll: Histogram<"status"> };

/** Where the run-stream gauge reads its figure (lib/dal/run-stream.ts sets it), so metrics import no DAL. */
const globalForStreams = globalThis as unknown as { runboardOpenRunStreams?: () => number };
export function reportOpenRunStreams(count: () => number): void {
  globalForStreams.runboardOpenRunStreams = count;
}

const globalForMetrics = globalThis as unknown as { runboardWebMetrics?: WebMetrics };

/** This web process's own metrics (one registry per process; it survives Next's dev reloads). */
export function webMetrics(): WebMetrics {
  globalForMetrics.runboardWebMetrics ??= (() => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: "runboard_web_" });
    const poll = new Histogram({
      name: "runboard_web_run_poll_duration_seconds",
      help: "Time to answer the run page's poll (GET /api/projects/:slug/runs/:id), by HTTP status (304: nothing changed).",
      labelNames: ["status"],
      buckets: REQUEST_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: "runboard_web_run_streams",
      help: "Run pages following a run over server-sent events in this web process (GET /api/projects/:slug/runs/:id/events).",
      registers: [registry],
      collect() {
        this.set(globalForStreams.runboardOpenRunStreams?.() ?? 0);
      },
    });
    return { registry, poll };
  })();
  return globalForMetrics.runboardWebMetrics;
}

/** Answer a run-page poll and record how long it took, by status; a thrown error counts as 500. */
export async function observePoll(answer: () => Promise<Response>): Promise<Response> {
  const startedAt = performance.now();
  let status = 500;
  try {
    const response = await answer();
    status = response.status;
    return response;
  } finally {
    webMetrics().poll.observe({ status: String(status) }, (performance.now() - startedAt) / 1000);
  }
}
