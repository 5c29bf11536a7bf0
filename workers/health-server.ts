import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type HealthReport = { live: boolean; ready: boolean; body: Record<string, unknown> };

export type HealthServerOptions = {
  port: number;
  host: string;
  report: () => HealthReport;
  metrics: () => Promise<{ contentType: string; text: string }>;
};

export type HealthServer = { port: number; close: () => Promise<void> };

/**
 * The worker's own small HTTP server for orchestrators and Prometheus: GET /livez, /readyz (200 or
 * 503, JSON) and /metrics. Unauthenticated, so it answers only states and counts: no ids, hosts,
 * payloads or errors.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const send = (status: number, contentType: string, body: string) => {
      response.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store" });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return send(405, "text/plain; charset=utf-8", "Method not allowed.\n");
    if (path === "/livez" || path === "/readyz") {
      const report = options.report();
      const ok = path === "/livez" ? report.live : report.ready;
      return send(ok ? 200 : 503, "application/json", JSON.stringify(report.body));
    }
    if (path === "/metrics") {
      return void options.metrics().then(
        (m) => send(200, m.contentType, m.text),
        () => send(500, "text/plain; charset=utf-8", "Metrics could not be collected.\n"),
      );
    }
    send(404, "text/plain; charset=utf-8", "Not found. Try /livez, /readyz or /metrics.\n");
  });
  // Probes are short: a connection left open must not hold the worker's stop.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
