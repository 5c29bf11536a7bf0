import type postgres from "postgres";
import { publicErrorMessage, redactJson } from "../redact";

/** Rows per batch: one short transaction each, so the backfill never holds many rows for long. */
export const BACKFILL_BATCH = 1000;

/**
 * Fill the redacted columns (error_message_public, payload_public, result_public) of up to
 * `limit` runs written before migration 0010, found through job_runs_unredacted_idx. Rows another
 * worker is backfilling are skipped, not waited for. Returns how many rows it filled: 0 when none
 * are left.
 */
export async function backfillRedactedRuns(sql: postgres.Sql, limit = BACKFILL_BATCH): Promise<number> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ id: string; payload: unknown; result: unknown; error_message: string | null }[]>`
      select id, payload, result, error_message from job_runs where payload_public is null
      limit ${limit} for update skip locked`;
    if (rows.length === 0) return 0;
    const json = (value: unknown) => (value === null ? null : JSON.stringify(redactJson(value)));
    await tx`
      update job_runs r set
        payload_public = v.payload_public::jsonb,
        result_public = v.result_public::jsonb,
        error_message_public = v.error_message_public
      from unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => json(r.payload) ?? "{}")}::text[],
        ${rows.map((r) => json(r.result))}::text[], ${rows.map((r) => (r.error_message === null ? null : publicErrorMessage(r.error_message)))}::text[])
        as v(id, payload_public, result_public, error_message_public)
      where r.id = v.id`;
    return rows.length;
  });
}

/**
 * Backfill every remaining row, batch after batch, pausing between batches so the worker's own
 * writes keep their share of the database. Stops when none are left or `signal` aborts.
 */
export async function backfillAllRedactedRuns(sql: postgres.Sql, signal?: AbortSignal, pauseMs = 50): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const done = await backfillRedactedRuns(sql);
    total += done;
    if (done === 0) break;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return total;
}
