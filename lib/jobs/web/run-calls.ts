import { asc, eq } from "drizzle-orm";
import type { DbOrTx } from "@/lib/db/client";
import { jobRunCalls } from "@/lib/db/schema";

export type RunCall = typeof jobRunCalls.$inferSelect;

/** A run's outbound calls, all attempts, in the order they were made; at most `limit` (1–1000). */
export async function listRunCalls(db: DbOrTx, runId: string, limit = 200): Promise<RunCall[]> {
  const bounded = Number.isFinite(limit) ? Math.min(1000, Math.max(1, Math.floor(limit))) : 1;
  return db
    .select()
    .from(jobRunCalls)
    .where(eq(jobRunCalls.runId, runId))
    .orderBy(asc(jobRunCalls.createdAt), asc(jobRunCalls.attempt), asc(jobRunCalls.retry))
    .limit(bounded);
}
