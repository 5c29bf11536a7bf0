CREATE TABLE "job_type_controls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_type" text NOT NULL,
	"project_id" uuid,
	"paused" boolean DEFAULT false NOT NULL,
	"concurrency_limit" integer,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_type_controls_scope_key" UNIQUE NULLS NOT DISTINCT("job_type","project_id"),
	CONSTRAINT "job_type_controls_limit_range" CHECK ("job_type_controls"."concurrency_limit" between 1 and 10000)
);
--> statement-breakpoint
ALTER TABLE "job_type_controls" ADD CONSTRAINT "job_type_controls_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_type_controls" ADD CONSTRAINT "job_type_controls_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_runs_queue_active_idx" ON "job_runs" USING btree ("job_type","status","run_at","project_id") WHERE "job_runs"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "job_runs_queue_finished_idx" ON "job_runs" USING btree ("job_type","status","completed_at","project_id") WHERE status in ('completed', 'failed', 'cancelled', 'dead_letter');--> statement-breakpoint
CREATE INDEX "job_runs_held_idx" ON "job_runs" USING btree ("job_type","queued_at","project_id") WHERE "job_runs"."status" = 'pending' and "job_runs"."boss_job_id" is null;