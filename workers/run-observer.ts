import type { RunError } from "@/lib/db/schema";
import type { Outcome } from "@/lib/jobs/lifecycle";

/** One attempt's end, as the runner knows it when the handler returns or throws. */
export type AttemptEnd = {
  runId: string;
  jobType: string;
  attempt: number;
  projectId: string | null;
  /** "pending": it failed and another attempt is scheduled. */
  status: Outcome["status"];
  durationMs: number;
  error: RunError | null;
};

/** What the runner tells metrics and the error tracker (workers/ops.ts); each call is cheap and never throws. */
export type RunObserver = {
  /** A delivered batch was claimed (one statement): how long it took and how many attempts it started. */
  claimed(seconds: number, started: number): void;
  attemptStarted(jobType: string): void;
  attemptEnded(end: AttemptEnd): void;
};
