-- Redact once, at write time: what tenants may read of a run (error message, payload, result) and of
-- an attempt's error is stored beside the raw value, and history search matches only that redacted
-- text (matching the raw text made search an oracle for masked secrets); call log rows the worker
-- wrote redacted say so (job_run_calls.redacted). Adding these columns rewrites nothing (nullable,
-- or a constant default). Existing rows are not updated here (an UPDATE of 10M runs would hold the
-- table for minutes): the worker backfills them in batches of 1,000 (lib/jobs/redact-backfill.ts,
-- found through job_runs_unredacted_idx), and until then reads redact the capped raw value. Both CREATE INDEX read the table once (their entries for the old
-- rows are empty or one per row); on a very large table an operator may create them CONCURRENTLY
-- beforehand under the same names: IF NOT EXISTS keeps this migration from repeating the work.
DROP INDEX "job_runs_finished_text_idx";--> statement-breakpoint
ALTER TABLE "job_run_steps" ADD COLUMN "error_message_public" text;--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "error_message_public" text;--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "payload_public" jsonb;--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "result_public" jsonb;--> statement-breakpoint
ALTER TABLE "job_run_calls" ADD COLUMN "redacted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "job_runs_finished_public_text_idx" ON "job_runs" USING gin (((coalesce(error_message_public, '') || ' ' || coalesce(payload_public::text, ''))) gin_trgm_ops) WHERE status in ('completed', 'failed', 'cancelled', 'dead_letter');--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "job_runs_unredacted_idx" ON "job_runs" USING btree ("id") WHERE "job_runs"."payload_public" is null;