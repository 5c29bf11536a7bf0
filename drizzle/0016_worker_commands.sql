ALTER TABLE "workers" ADD COLUMN "state" text DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "command" text;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "command_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "workers_started_idx" ON "workers" USING btree ("started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "workers_running_idx" ON "workers" USING btree ("last_seen_at") WHERE "workers"."stopped_at" is null;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_state_valid" CHECK ("workers"."state" in ('live', 'quiet', 'stopping'));--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_command_valid" CHECK ("workers"."command" is null or "workers"."command" in ('quiet', 'stop'));