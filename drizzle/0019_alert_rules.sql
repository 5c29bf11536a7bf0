CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"team_id" uuid NOT NULL,
	"name" text NOT NULL,
	"job_types" text[] NOT NULL,
	"project_id" uuid,
	"statuses" text[] NOT NULL,
	"recipients" text DEFAULT 'admins' NOT NULL,
	"recipient_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"throttle_seconds" integer NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_throttle_positive" CHECK ("alert_rules"."throttle_seconds" > 0)
);
--> statement-breakpoint
CREATE TABLE "alert_windows" (
	"rule_id" uuid NOT NULL,
	"job_type" text NOT NULL,
	"window_ends_at" timestamp with time zone NOT NULL,
	"suppressed" integer DEFAULT 0 NOT NULL,
	"suppressed_dead_letter" integer DEFAULT 0 NOT NULL,
	"first_suppressed_at" timestamp with time zone,
	"last_suppressed_at" timestamp with time zone,
	"sample_run_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	CONSTRAINT "alert_windows_rule_id_job_type_pk" PRIMARY KEY("rule_id","job_type")
);
--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "alert_rule_id" uuid;--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_windows" ADD CONSTRAINT "alert_windows_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_rules_team_idx" ON "alert_rules" USING btree ("team_id","created_at");--> statement-breakpoint
CREATE INDEX "alert_rules_enabled_types_idx" ON "alert_rules" USING gin ("job_types") WHERE "alert_rules"."enabled";--> statement-breakpoint
CREATE INDEX "alert_windows_due_idx" ON "alert_windows" USING btree ("window_ends_at") WHERE "alert_windows"."suppressed" > 0;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_alert_rule_id_alert_rules_id_fk" FOREIGN KEY ("alert_rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_alert_rule_idx" ON "notifications" USING btree ("alert_rule_id","created_at" DESC NULLS LAST) WHERE "notifications"."alert_rule_id" is not null;