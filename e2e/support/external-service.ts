import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "@playwright/test";

// Issue 13: a job type defined only in another service. The service lives in its own directory
// outside this repository, imports nothing but `runboard/worker` (node_modules/runboard links to
// this checkout, as `npm install ../runboard` would), and runs as its own process against the
// suite's Postgres. The dashboard, the API and the CLI learn the type from its registration.
export const root = path.resolve(import.meta.dirname, "..", "..");
export const TYPE = "acme_greeting";

const JOBS_FILE = `
import { defineJob } from "runboard/worker";
import { z } from "zod";

export const greeting = defineJob({
  name: "${TYPE}",
  label: "Send a greeting",
  description: "Defined in acme-service: greets someone, a number of times.",
  scope: "project",
  payload: z.object({
    name: z.string().min(1).max(40).meta({ title: "Who to greet" }),
    times: z.number().int().min(1).max(5).default(2).meta({ title: "Times" }),
    tone: z.enum(["warm", "formal"]).default("warm").meta({ title: "Tone" }),
  }),
  retry: { limit: 0, delaySeconds: 0, backoff: false },
  schedule: null,
  overlap: "none",
  timeoutSeconds: 60,
  handler: async () => ({
    default: async (ctx) => {
      const word = ctx.payload.tone === "warm" ? "Hello" : "Good day";
      const lines = [];
      for (let i = 0; i < ctx.payload.times; i++) {
        lines.push(word + ", " + ctx.payload.name + "!");
        ctx.progress({ processed: i + 1, total: ctx.payload.times });
      }
      return { greeting: lines.join(" "), servedBy: "acme-service", pid: process.pid };
    },
  }),
});
`;

const WORKER_FILE = `
import { startWorker } from "runboard/worker";
import { greeting } from "./jobs.mjs";

const worker = await startWorker({ jobs: [greeting], databaseUrl: process.env.DATABASE_URL, name: "acme-service", handleSignals: true });
console.log("acme-service ready " + worker.workerId + " serving " + worker.jobTypes.join(","));
`;

export type ExternalService = { dir: string; pid: number; log: () => string; stop: () => Promise<void> };

/** Write the service to a fresh directory outside the repository and start its worker process. */
export async function startExternalService(): Promise<ExternalService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "acme-service-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "acme-service", private: true, type: "module", dependencies: { runboard: `file:${root}`, zod: "^4.6.0" } }, null, 2));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(root, path.join(dir, "node_modules", "runboard"), "dir");
  symlinkSync(path.join(root, "node_modules", "zod"), path.join(dir, "node_modules", "zod"), "dir");
  writeFileSync(path.join(dir, "jobs.mjs"), JOBS_FILE);
  writeFileSync(path.join(dir, "worker.mjs"), WORKER_FILE);

  // Only what a deployment would give it: no tsx loader, no path alias, its own cwd.
  const worker: ChildProcess = spawn(process.execPath, ["worker.mjs"], {
    cwd: dir,
    env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: dir, DATABASE_URL: process.env.E2E_DATABASE_URL, HEARTBEAT_SECONDS: "2", PROGRESS_INTERVAL_MS: "250", CANCEL_POLL_MS: "250" },
  });
  let log = "";
  worker.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  worker.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise((r) => worker.once("exit", r));
  await expect.poll(() => (worker.exitCode === null ? log : `exited ${worker.exitCode}: ${log}`), { timeout: 30_000, message: "the service's worker starts" }).toContain(`serving ${TYPE}`);
  return {
    dir,
    pid: worker.pid!,
    log: () => log,
    stop: async () => {
      if (worker.exitCode === null) worker.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
