import type { z } from "zod";
import type { Db } from "@/lib/db/client";

export type JobScope = "project" | "system";

/**
 * Which runs of a type may be active (pending or running) at once:
 * - "project": one per project (system jobs: one at all); a second trigger gets a 409;
 * - "resource": one per resource the payload names (e.g. per imported file); needs `resource`;
 * - "none": any number.
 */
export type Overlap = "project" | "resource" | "none";

export type RetryPolicy = {
  /** Retries after the first attempt; 0 means one attempt only. */
  limit: number;
  /** Delay before the first retry; later retries back off exponentially with jitter. */
  delaySeconds: number;
  backoff: boolean;
};

export type ProgressUpdate = { processed: number; total?: number | null; message?: string | null };

export type TrackedFetchOptions = {
  /** Tries after the first one (0–5; default 0). Network errors and `retryOn` statuses are retried. */
  retries?: number;
  retryOn?: readonly number[];
  /** Per try, until the response headers and the logged part of the body have arrived. */
  timeoutMs?: number;
  /** Wait before the first retry; doubles per retry, with jitter. */
  backoffMs?: number;
};

/** The global fetch, with every try recorded in job_run_calls. */
export type TrackedFetch = (input: string | URL | Request, init?: RequestInit, options?: TrackedFetchOptions) => Promise<Response>;

/** What a handler gets: its run, its payload, and the means to report and to stop early. */
export type JobContext<P> = {
  runId: string;
  attempt: number;
  payload: P;
  projectId: string | null;
  teamId: string | null;
  resource: { type: string; id: string } | null;
  db: Db;
  /** Aborted when the run is cancelled, times out or the worker shuts down; pass it to fetch and loops. */
  signal: AbortSignal;
  /**
   * fetch for outbound HTTP: every try is logged in job_run_calls (secrets redacted, bodies cut to
   * 4 KiB); options add retries, a per-try timeout and backoff. Aborted with the run.
   */
  fetch: TrackedFetch;
  isCancelled: () => boolean;
  /** Report progress as often as you like; writes are coalesced to about one per second. */
  progress: (update: ProgressUpdate) => void;
  /** Name the current stage (shown on the run page). */
  stage: (name: string) => void;
  /** Run `fn` as a named step: sets the stage and records a timed step row (failed steps too). */
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
};

/** A handler returns the run's result (stored as JSON), or returns early when cancelled. */
export type JobHandler<P> = (ctx: JobContext<P>) => Promise<Record<string, unknown>>;

/** A job type as both web and worker see it: cheap to import, the handler's code loaded lazily. */
export type JobDefinition<P extends z.ZodType = z.ZodType> = {
  /** snake_case; the queue name and what runs, API and CLI call the type. */
  name: string;
  label: string;
  description: string;
  scope: JobScope;
  /** The Run form, the API and the CLI validate with it; the worker parses with it again. */
  payload: P;
  retry: RetryPolicy;
  /** Default cron expression (UTC); null for jobs only triggered by people. */
  schedule: string | null;
  overlap: Overlap;
  /** A running attempt past this is aborted and fails as "timeout" (retried per policy); null: no limit. */
  timeoutSeconds: number | null;
  /** A deliberately paced job that exists to try the UI; labelled as such everywhere. */
  demo?: boolean;
  /** The business resource a run works on, derived from its payload (required for overlap "resource"). */
  resource?: (payload: z.output<P>, projectId: string | null) => { type: string; id: string } | null;
  /** Only the worker calls this, so the web never loads handler code or its dependencies. */
  handler: () => Promise<{ default: JobHandler<z.output<P>> }>;
};

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Checks a definition once, where it is declared, and keeps the literal name for JobName. */
export function defineJob<const N extends string, P extends z.ZodType>(def: JobDefinition<P> & { name: N }): JobDefinition<P> & { name: N } {
  if (!NAME.test(def.name)) throw new Error(`Job type "${def.name}": the name must be snake_case (a-z, 0-9, _), starting with a letter.`);
  if (def.overlap === "resource" && !def.resource) throw new Error(`Job type "${def.name}": overlap "resource" needs a resource() that names the resource of a run.`);
  if (def.timeoutSeconds !== null && !(def.timeoutSeconds > 0)) throw new Error(`Job type "${def.name}": timeoutSeconds must be a positive number or null.`);
  return def;
}
