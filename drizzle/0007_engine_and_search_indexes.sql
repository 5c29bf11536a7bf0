-- Fewer index writes per run for the worker, and a text search index that scales with big projects:
-- runs without a resource, a trigger user or an overlap key no longer enter those indexes; the
-- trigram index drops its project key (reading a big project's posting list cost more than it saved).
DROP INDEX "job_runs_finished_search_idx";--> statement-breakpoint
DROP INDEX "job_runs_resource_idx";--> statement-breakpoint
DROP INDEX "job_runs_finished_trigger_idx";--> statement-breakpoint
DROP INDEX "job_runs_one_active_key";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "job_runs_finished_text_idx" ON "job_runs" USING gin (((coalesce(error_message, '') || ' ' || payload::text)) gin_trgm_ops) WHERE status in ('completed', 'failed', 'cancelled', 'dead_letter');--> statement-breakpoint
CREATE INDEX "job_runs_resource_idx" ON "job_runs" USING btree ("resource_type","resource_id","queued_at" DESC NULLS LAST) WHERE "job_runs"."resource_id" is not null;--> statement-breakpoint
CREATE INDEX "job_runs_finished_trigger_idx" ON "job_runs" USING btree ("triggered_by","queued_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE status in ('completed', 'failed', 'cancelled', 'dead_letter') and "job_runs"."triggered_by" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "job_runs_one_active_key" ON "job_runs" USING btree ("exclusive_key") WHERE "job_runs"."status" in ('pending', 'running') and "job_runs"."exclusive_key" is not null;