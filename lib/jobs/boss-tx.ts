import { sql } from "drizzle-orm";
import { fromDrizzle, type Db as BossDb } from "pg-boss";
import type { Tx } from "@/lib/db/client";

/**
 * pg-boss statements inside our transaction. pg-boss's drizzle adapter binds schedule()'s `data`
 * and `options` objects as they are, which postgres.js refuses for a jsonb parameter; they are
 * sent as JSON text instead (Postgres casts it).
 */
export function bossTx(tx: Tx): BossDb {
  const inner = fromDrizzle(tx, sql);
  return {
    executeSql: (text, values) => inner.executeSql(text, values?.map((v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? JSON.stringify(v) : v))),
  };
}
