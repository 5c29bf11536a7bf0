import { boolean, index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { jobRuns } from "./job-runs";

/** Seed 003's webhook/API call log: every outbound HTTP call a handler makes through ctx.fetch. */
export const jobRunCalls = pgTable(
  "job_run_calls",
  {
    id: id(),
    runId: uuid("run_id").notNull().references(() => jobRuns.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    /** 0 for the first try of this call, 1.. for its retries. */
    retry: integer("retry").notNull().default(0),
    method: text("method").notNull(),
    url: text("url").notNull(),
    /** Headers with secrets (authorization, cookies, api keys) redacted. */
    requestHeaders: jsonb("request_headers").$type<Record<string, string>>().notNull(),
    requestBody: text("request_body"),
    responseStatus: integer("response_status"),
    /** Response headers, redacted and bounded (what a 429's Retry-After asked for, rate-limit counters). */
    responseHeaders: jsonb("response_headers").$type<Record<string, string>>(),
    responseBody: text("response_body"),
    durationMs: integer("duration_ms").notNull(),
    /** Network or timeout failure, when there was no response. */
    error: text("error"),
    /**
     * Set by the worker, which writes every field above redacted (lib/jobs/worker/call-log.ts): tenants
     * read such a row as stored. Rows without it (older, or written some other way) are redacted
     * when read.
     */
    redacted: boolean("redacted").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index("job_run_calls_run_idx").on(t.runId, t.createdAt)],
);
