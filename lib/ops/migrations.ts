import type postgres from "postgres";
import journal from "@/drizzle/meta/_journal.json";

/**
 * Whether the database has every migration this build was shipped with. Drizzle's migrator records
 * each applied migration in drizzle.__drizzle_migrations with the journal entry's `when` as
 * created_at, and applies only entries newer than the newest recorded one: so the entries newer
 * than that are exactly what `npm run db:migrate` would still apply. A database ahead of this build
 * (a newer version migrated it first, as a rolling deploy does) counts as current.
 */
export type MigrationState = { current: true; pending: 0 } | { current: false; pending: number };

/** The committed journal, bundled into the build: the migrations this code expects. */
const EXPECTED = journal.entries.map((e) => e.when).sort((a, b) => a - b);

export async function migrationState(sql: postgres.Sql): Promise<MigrationState> {
  const [table] = await sql<{ present: boolean }[]>`select to_regclass('drizzle.__drizzle_migrations') is not null as present`;
  let newest = -Infinity;
  if (table?.present) {
    const [row] = await sql<{ newest: string | null }[]>`select max(created_at)::text as newest from drizzle.__drizzle_migrations`;
    if (row?.newest) newest = Number(row.newest);
  }
  const pending = EXPECTED.filter((when) => when > newest).length;
  return pending === 0 ? { current: true, pending: 0 } : { current: false, pending };
}
