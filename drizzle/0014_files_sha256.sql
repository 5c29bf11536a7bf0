ALTER TABLE "files" ADD COLUMN "sha256" text;--> statement-breakpoint
CREATE UNIQUE INDEX "files_one_upload" ON "files" USING btree ("project_id","name","sha256") WHERE "files"."sha256" is not null;