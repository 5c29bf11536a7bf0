import { defineConfig } from "@playwright/test";

const baseURL = process.env.E2E_BASE_URL;
const databaseUrl = process.env.E2E_DATABASE_URL ?? "";
if (!baseURL || !databaseUrl) throw new Error("Run the e2e suite through `npm test` (or `npm test -- e2e`), which starts Postgres, web and worker.");
// The suite writes to its database: refuse anything that is not a local throwaway one.
const host = new URL(databaseUrl).hostname;
if (!["127.0.0.1", "localhost", "::1"].includes(host)) throw new Error(`Refusing to run e2e against a non-local database (${host}).`);

export default defineConfig({
  testDir: "e2e",
  outputDir: ".data/test-results",
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: ".data/playwright.json" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Closed network: keep Chromium from reaching out at start.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    { name: "chromium", testMatch: /.*\.spec\.ts/, dependencies: ["setup"] },
  ],
});
