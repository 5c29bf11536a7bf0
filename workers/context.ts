import type { Db } from "@/lib/db/client";
import type { TrackedFetch } from "@/lib/jobs/call-log";
import type { JobName, JobPayload } from "@/lib/jobs/catalog";

export type ProgressUpdate = { processed: number; total?: number | null; message?: string | null };

/** What a handler gets: its run, its payload, and the means to report and to stop early. */
export type JobContext<N extends JobName> = {
  runId: string;
  attempt: number;
  payload: JobPayload<N>;
  projectId: string | null;
  teamId: string | null;
  resource: { type: string; id: string } | null;
  db: Db;
  /** Aborted when the run is cancelled or the worker shuts down; pass it to fetch and loops. */
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
export type JobHandler<N extends JobName> = (ctx: JobContext<N>) => Promise<Record<string, unknown>>;
