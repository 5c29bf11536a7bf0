import path from "node:path";
import { defineConfig } from "vitest/config";

/** `npm test -- faults`: whole installs under faults (after the build), one file at a time. */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["tests/faults/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: "forks",
  },
});
