import { databaseUrl } from "@/lib/db/client";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import { JobTypeFilterError } from "./job-type-filter";
import { startWorker } from "./public";

// `npm run worker`: Runboard's own worker serves the catalog's job types through the same entry a
// service imports as runboard/worker (workers/public.ts), so there is one way a worker starts.
await startWorker({ jobs: JOB_DEFINITIONS, databaseUrl: databaseUrl(), handleSignals: true }).catch((error: unknown) => {
  // A mistyped WORKER_JOB_TYPES: one clear line, no stack.
  if (!(error instanceof JobTypeFilterError)) throw error;
  console.error(`[worker] ${error.message}`);
  process.exit(1);
});
