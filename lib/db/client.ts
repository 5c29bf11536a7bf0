import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; accepted wherever a write must join the caller's transaction. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = { db: Db; sql: postgres.Sql; close: () => Promise<void> };

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set. Start Runboard with `npm start`, which provides one.");
  return url;
}

/**
 * `applicationName` names the pool's sessions in pg_stat_activity (which process holds which);
 * `connectTimeoutSeconds` bounds the wait for a connection (postgres.js waits 30 s by default).
 */
export function createDatabase(url: string = databaseUrl(), options: { max?: number; applicationName?: string; connectTimeoutSeconds?: number } = {}): Database {
  const connection = options.applicationName ? { application_name: options.applicationName } : undefined;
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => undefined, connection, ...(options.connectTimeoutSeconds ? { connect_timeout: options.connectTimeoutSeconds } : {}) });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The postgres.js handle behind a drizzle database or transaction. Drizzle sends every statement
 * unnamed (planned on each call); the worker's per-batch statements go through this handle as
 * named prepared statements instead, which skips their planning (about a third of their cost).
 */
export function clientOf(db: DbOrTx): postgres.Sql {
  return (db._.session as unknown as { client: postgres.Sql }).client;
}

const globalForDb = globalThis as unknown as { runboardDatabase?: Database };

/**
 * The process-wide pool (one per web process; survives Next's dev reloads). A short connect
 * timeout: while Postgres is unreachable a request should answer 503 within a couple of seconds
 * (lib/db/errors.ts), not hang on postgres.js's default of 30 s.
 */
export function getDatabase(): Database {
  globalForDb.runboardDatabase ??= createDatabase(databaseUrl(), { connectTimeoutSeconds: 2 });
  return globalForDb.runboardDatabase;
}
