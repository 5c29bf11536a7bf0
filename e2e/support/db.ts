import postgres from "postgres";

/** Direct reads of the e2e database, to prove what a request did or did not change. */
export function e2eSql(): postgres.Sql {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set");
  return postgres(url, { max: 2, onnotice: () => undefined });
}

/**
 * Give rows a spec inserted raw (as a release before migration 0010 wrote them) their redacted
 * columns, as the worker's backfill does; history search matches only those.
 */
export { backfillAllRedactedRuns as backfillRedactedRuns } from "../../lib/jobs/worker/redact-backfill";
