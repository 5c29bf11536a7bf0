// The types of `runboard/worker` (dist/worker.mjs, bundled from workers/public.ts). Written by
// hand because the sources' `@/` imports mean nothing inside another package;
// workers/public-api.check.ts fails the typecheck when they drift from the code.
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { z } from "zod";

export type JobScope = "project" | "system";
export type Overlap = "project" | "resource" | "none";
export type RetryPolicy = { limit: number; delaySeconds: number; backoff: boolean };
export type ProgressUpdate = { processed: number; total?: number | null; message?: string | null };
export type TrackedFetchOptions = { retries?: number; retryOn?: readonly number[]; timeoutMs?: number; backoffMs?: number };
export type TrackedFetch = (input: string | URL | Request, init?: RequestInit, options?: TrackedFetchOptions) => Promise<Response>;

export type JobContext<P> = {
  runId: string;
  attempt: number;
  payload: P;
  projectId: string | null;
  teamId: string | null;
  resource: { type: string; id: string } | null;
  /** Runboard's own database (drizzle); your service's data belongs in your own client. */
  db: PostgresJsDatabase<Record<string, unknown>>;
  signal: AbortSignal;
  fetch: TrackedFetch;
  isCancelled: () => boolean;
  progress: (update: ProgressUpdate) => void;
  stage: (name: string) => void;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
};

export type JobHandler<P> = (ctx: JobContext<P>) => Promise<Record<string, unknown>>;

export type JobDefinition<P extends z.ZodType = z.ZodType> = {
  name: string;
  label: string;
  description: string;
  scope: JobScope;
  payload: P;
  retry: RetryPolicy;
  schedule: string | null;
  overlap: Overlap;
  timeoutSeconds: number | null;
  demo?: boolean;
  resource?: (payload: z.output<P>, projectId: string | null) => { type: string; id: string } | null;
  handler: () => Promise<{ default: JobHandler<z.output<P>> }>;
};

export declare function defineJob<const N extends string, P extends z.ZodType>(def: JobDefinition<P> & { name: N }): JobDefinition<P> & { name: N };

/** A run's resource from one payload field, registered as data so the dashboard can derive it too. */
export declare function resourceField<const K extends string>(
  type: string,
  field: K,
): ((payload: Partial<Record<K, unknown>>, projectId: string | null) => { type: string; id: string } | null) & { descriptor: { type: string; field: string } };

/** Any definition made with defineJob, whatever its payload. */
export type ServableJob = Omit<JobDefinition, "resource" | "handler"> & {
  resource?: unknown;
  handler: () => Promise<{ default: (ctx: never) => Promise<Record<string, unknown>> }>;
};

export type StartWorkerOptions = {
  jobs: readonly ServableJob[];
  databaseUrl: string;
  name?: string;
  source?: string;
  batchSize?: number;
  concurrency?: number;
  dbPool?: number;
  heartbeatSeconds?: number;
  pollSeconds?: number;
  shutdownGraceMs?: number;
  healthPort?: number | null;
  healthHost?: string;
  /** Serve only these of `jobs` (comma list; WORKER_JOB_TYPES by default; unset or empty: all). */
  jobTypes?: string;
  /** Exit gracefully on SIGTERM/SIGINT and on a stop asked for from the Workers page. */
  handleSignals?: boolean;
};

export type RunboardWorker = { workerId: string; jobTypes: string[]; healthPort: number | null; stop: () => Promise<void> };

export declare function startWorker(options: StartWorkerOptions): Promise<RunboardWorker>;
