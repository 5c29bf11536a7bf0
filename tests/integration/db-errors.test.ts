/**
 * lib/db/errors.ts tells "Postgres is unreachable" (the web answers 503 and retries) from every
 * other database error (a bug: 500), on the errors postgres.js and drizzle really throw.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createDatabase } from "@/lib/db/client";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { freePort } from "@/scripts/lib/embedded-pg";
import { createTestDatabase, type TestDatabase } from "../support/db";

vi.mock("server-only", () => ({}));
const { withDatabaseWatch } = await import("@/lib/dal/health");

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const failure = (p: Promise<unknown>) => p.then(
  () => {
    throw new Error("expected the query to fail");
  },
  (error: unknown) => error,
);

describe("isDatabaseUnavailable", () => {
  test("a refused connection, raw and wrapped by drizzle, is unavailable", async () => {
    const closed = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`;
    const raw = postgres(closed, { max: 1, connect_timeout: 2, onnotice: () => undefined });
    const rawError = await failure(raw`select 1`);
    await raw.end();
    expect(isDatabaseUnavailable(rawError)).toBe(true);

    const wrapped = createDatabase(closed, { max: 1, connectTimeoutSeconds: 2 });
    const wrappedError = await failure(wrapped.db.execute(sql`select 1`));
    await wrapped.close();
    expect(isDatabaseUnavailable(wrappedError)).toBe(true);
  });

  test("a connection the server ends (admin_shutdown, as in a fast shutdown) is unavailable", async () => {
    const victim = postgres(database.url, { max: 1, onnotice: () => undefined });
    const [row] = await victim<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pending = failure(victim`select pg_sleep(5)`);
    await new Promise((r) => setTimeout(r, 200));
    await database.sql`select pg_terminate_backend(${row!.pid})`;
    // postgres.js rejects the query in flight as CONNECTION_CLOSED and hands the server's
    // FATAL 57P01 to the next one.
    const inFlight = await pending;
    const next = await failure(victim`select 1`);
    await victim.end({ timeout: 1 });
    expect((inFlight as { code?: string }).code).toBe("CONNECTION_CLOSED");
    expect((next as { code?: string }).code).toBe("57P01");
    expect(isDatabaseUnavailable(inFlight)).toBe(true);
    expect(isDatabaseUnavailable(next)).toBe(true);
  });

  test("query errors are not: bad SQL, a unique violation, a missing table", async () => {
    expect(isDatabaseUnavailable(await failure(database.sql`selec 1`))).toBe(false);
    expect(isDatabaseUnavailable(await failure(database.db.execute(sql`select * from no_such_table`)))).toBe(false);
    await database.sql`create table uniq (v int primary key)`;
    await database.sql`insert into uniq values (1)`;
    expect(isDatabaseUnavailable(await failure(database.sql`insert into uniq values (1)`))).toBe(false);
    expect(isDatabaseUnavailable(new Error("anything else"))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe("withDatabaseWatch", () => {
  test("work stuck while Postgres is unreachable is given up with a database-unavailable error", async () => {
    process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`;
    const stuck = new Promise<string>(() => undefined);
    const error = await failure(withDatabaseWatch(() => stuck));
    expect(error).toMatchObject({ code: "DATABASE_UNREACHABLE" });
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  test("work that never settles on a reachable database (a query lost on a closed pooled connection) answers unavailable past the deadline", async () => {
    process.env.DATABASE_URL = database.url;
    const lost = new Promise<string>(() => undefined);
    const error = await failure(withDatabaseWatch(() => lost, 3000));
    expect(error).toMatchObject({ code: "DATABASE_UNREACHABLE" });
  });

  test("slow work on a reachable database is left to finish", async () => {
    process.env.DATABASE_URL = database.url;
    const result = await withDatabaseWatch(async () => {
      await database.sql`select pg_sleep(3.5)`;
      return "done";
    });
    expect(result).toBe("done");
  });
});
