import "server-only";
import { sql } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { isDatabaseUnavailable } from "@/lib/db/errors";

export { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from "@/lib/db/errors";

/**
 * Whether Postgres answers right now (one `select 1`). Public by design: it tells nothing but
 * up or down, and the dashboard's error page asks it to know when to reload by itself.
 */
export async function databaseReachable(): Promise<boolean> {
  try {
    await getDatabase().db.execute(sql`select 1`);
    return true;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return false;
    throw error;
  }
}
