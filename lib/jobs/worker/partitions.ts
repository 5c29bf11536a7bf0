import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/lib/db/client";

/** The step history is range-partitioned by month; these name and find its partitions. */
export const STEPS_TABLE = "job_run_steps";

export type MonthPartition = { name: string; from: Date; to: Date };

export function monthStart(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

export function addMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

export function partitionFor(month: Date): MonthPartition {
  const from = monthStart(month);
  const name = `${STEPS_TABLE}_${from.getUTCFullYear()}_${String(from.getUTCMonth() + 1).padStart(2, "0")}`;
  return { name, from, to: addMonths(from, 1) };
}

const PARTITION_NAME = /^job_run_steps_(\d{4})_(\d{2})$/;

/** The monthly partitions that exist now (the default partition is not one of them). */
export async function listMonthPartitions(db: DbOrTx): Promise<MonthPartition[]> {
  const rows = await db.execute<{ name: string }>(sql`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    where p.relname = ${STEPS_TABLE}`);
  return rows
    .map((r) => PARTITION_NAME.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => partitionFor(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))))
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Create one month's partition. Rows that landed in the default partition for that month are
 * moved into it in the same transaction, so attaching never fails on them.
 */
export async function createMonthPartition(db: DbOrTx, p: MonthPartition): Promise<void> {
  const from = p.from.toISOString();
  const to = p.to.toISOString();
  await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`create table if not exists "${p.name}" (like "${STEPS_TABLE}" including defaults including constraints)`));
    await tx.execute(
      sql.raw(`with moved as (delete from "${STEPS_TABLE}_default" where created_at >= '${from}' and created_at < '${to}' returning *) insert into "${p.name}" select * from moved`),
    );
    await tx.execute(sql.raw(`alter table "${STEPS_TABLE}" attach partition "${p.name}" for values from ('${from}') to ('${to}')`));
  });
}

/** Drop one month's partition with its rows (retention). */
export async function dropMonthPartition(db: DbOrTx, p: MonthPartition): Promise<void> {
  await db.execute(sql.raw(`drop table if exists "${p.name}"`));
}
