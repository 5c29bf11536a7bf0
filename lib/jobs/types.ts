import type { z } from "zod";

export type JobScope = "project" | "system";

export type RetryPolicy = {
  /** Retries after the first attempt; 0 means one attempt only. */
  limit: number;
  /** Delay before the first retry; later retries back off exponentially with jitter. */
  delaySeconds: number;
  backoff: boolean;
};

/** A job type as both web and worker see it: cheap to import, no handler code. */
export type JobDefinition<P extends z.ZodType = z.ZodType> = {
  name: string;
  label: string;
  description: string;
  scope: JobScope;
  payload: P;
  retry: RetryPolicy;
  /** Cron expression (UTC) for system jobs; null for jobs only triggered by people. */
  schedule: string | null;
  /** One pending-or-running run per type per project (seed 002); on unless a type opts out. */
  preventOverlap: boolean;
  /** A deliberately paced job that exists to try the UI; labelled as such everywhere. */
  demo?: boolean;
  /** The business resource a run works on, derived from its payload. */
  resource: (payload: z.output<P>, projectId: string | null) => { type: string; id: string } | null;
};
