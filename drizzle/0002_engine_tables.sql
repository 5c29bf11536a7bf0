CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid,
	"kind" text NOT NULL,
	"to_email" text NOT NULL,
	"subject" text NOT NULL,
	"body_text" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_run_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"retry" integer DEFAULT 0 NOT NULL,
	"method" text NOT NULL,
	"url" text NOT NULL,
	"request_headers" jsonb NOT NULL,
	"request_body" text,
	"response_status" integer,
	"response_body" text,
	"duration_ms" integer NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_schedules" (
	"job_type" text PRIMARY KEY NOT NULL,
	"cron" text NOT NULL,
	"last_tick_at" timestamp with time zone,
	"last_run_id" uuid,
	"skipped_count" integer DEFAULT 0 NOT NULL,
	"last_skipped_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- job_run_steps becomes range-partitioned by month on created_at (seed 003 retention: old months
-- are dropped whole by db_pruning; partition_creation adds months ahead). Rows are carried over.
ALTER TABLE "job_run_steps" RENAME TO "job_run_steps_old";--> statement-breakpoint
ALTER TABLE "job_run_steps_old" DROP CONSTRAINT "job_run_steps_run_id_job_runs_id_fk";--> statement-breakpoint
ALTER TABLE "job_run_steps_old" DROP CONSTRAINT "job_run_steps_severity_range";--> statement-breakpoint
DROP INDEX "job_run_steps_run_idx";--> statement-breakpoint
CREATE TABLE "job_run_steps" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"step_type" text NOT NULL,
	"status" text NOT NULL,
	"attempt_number" integer NOT NULL,
	"error_message" text,
	"error_type" text,
	"error_source" text,
	"error_sub_type" text,
	"error_severity" smallint,
	"worker_id" text,
	"duration_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_run_steps_id_created_at_pk" PRIMARY KEY("id","created_at"),
	CONSTRAINT "job_run_steps_severity_range" CHECK ("error_severity" between 1 and 5)
) PARTITION BY RANGE ("created_at");--> statement-breakpoint
-- Rows outside every monthly partition land here rather than failing the insert.
CREATE TABLE "job_run_steps_default" PARTITION OF "job_run_steps" DEFAULT;--> statement-breakpoint
DO $$
DECLARE
  m date := date_trunc('month', now() - interval '1 month')::date;
BEGIN
  FOR i IN 0..3 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF job_run_steps FOR VALUES FROM (%L) TO (%L)',
      'job_run_steps_' || to_char(m, 'YYYY_MM'), m, (m + interval '1 month')::date);
    m := (m + interval '1 month')::date;
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "job_run_steps" SELECT * FROM "job_run_steps_old";--> statement-breakpoint
DROP TABLE "job_run_steps_old";--> statement-breakpoint
ALTER TABLE "job_run_steps" ADD CONSTRAINT "job_run_steps_run_id_job_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."job_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_run_steps_run_idx" ON "job_run_steps" USING btree ("run_id","created_at");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_run_id_job_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."job_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_run_calls" ADD CONSTRAINT "job_run_calls_run_id_job_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."job_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_status_created_idx" ON "notifications" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "notifications_run_idx" ON "notifications" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "job_run_calls_run_idx" ON "job_run_calls" USING btree ("run_id","created_at");