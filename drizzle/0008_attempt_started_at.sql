-- An attempt's start is kept on the run row, and its step row is written once, when it ends (with
-- its duration): the worker no longer inserts a "started" step row per attempt. Older rows stay readable.
ALTER TABLE "job_runs" ADD COLUMN "attempt_started_at" timestamp with time zone;