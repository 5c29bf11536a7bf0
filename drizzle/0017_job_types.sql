CREATE TABLE "job_types" (
	"name" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"description" text NOT NULL,
	"scope" text NOT NULL,
	"payload_schema" json NOT NULL,
	"retry" jsonb NOT NULL,
	"schedule" text,
	"overlap" text NOT NULL,
	"timeout_seconds" integer,
	"resource" jsonb,
	"source" text NOT NULL,
	"registered_by" text NOT NULL,
	"definition_hash" text NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
