import { boolean, pgTable, text } from "drizzle-orm/pg-core";
import { tstz } from "./columns";

/**
 * Rate-limit buckets shared by every web process (lib/security/throttle.ts). One row per limited
 * thing: `tat` is GCRA's "theoretical arrival time", the instant the bucket is full again, so a
 * row whose `tat` has passed means the same as no row and may be deleted (db_pruning does).
 * No index besides the key: updates then stay HOT, and pruning scans a table of active keys only.
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  tat: tstz("tat").notNull(),
  /** Whether the last request for this key was let through (read back by the same statement). */
  allowed: boolean("allowed").notNull(),
});
