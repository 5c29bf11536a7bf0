import { createHash } from "node:crypto";
import type postgres from "postgres";
import { getDatabase } from "@/lib/db/client";

/**
 * Rate limits kept in Postgres (table rate_limits), so every web process sees the same counts.
 *
 * The algorithm is GCRA, a token bucket written as one timestamp: a bucket holds `limit` tokens
 * and refills completely over `windowMs` (one token every windowMs / limit). So `limit` requests
 * may come at once, and after that one per windowMs / limit. A check is one upsert that both
 * decides and records, under the row's lock, so concurrent requests for one key never get more
 * than the bucket holds. Time is the database's clock, shared by all processes.
 *
 * Not 'server-only': the worker's db_pruning deletes expired rows through pruneRateLimits.
 */
export type Limit = { limit: number; windowMs: number };
export type Decision = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/**
 * The stored key for `value` in `scope`. Values are hashed: the table then holds no email
 * addresses or client addresses, and a long value cannot make a long key.
 */
export function limitKey(scope: string, value: string): string {
  return `${scope}:${createHash("sha256").update(value).digest("base64url").slice(0, 32)}`;
}

const emissionMs = ({ limit, windowMs }: Limit) => windowMs / Math.max(1, limit);

/** Take one token from `key`'s bucket, or learn how long until one is free. One statement. */
export async function consume(key: string, rule: Limit, sql: postgres.Sql = getDatabase().sql): Promise<Decision> {
  const step = emissionMs(rule);
  // A request fits while the bucket's refill instant is at most this far ahead of now.
  const tolerance = rule.windowMs - step;
  const [row] = await sql<{ allowed: boolean; ahead_ms: number }[]>`
    insert into rate_limits as r (key, tat, allowed)
    values (${key}, statement_timestamp() + ${step}::float8 * interval '1 millisecond', true)
    on conflict (key) do update set
      allowed = r.tat <= statement_timestamp() + ${tolerance}::float8 * interval '1 millisecond',
      tat = case when r.tat <= statement_timestamp() + ${tolerance}::float8 * interval '1 millisecond'
                 then greatest(r.tat, statement_timestamp()) + ${step}::float8 * interval '1 millisecond'
                 else r.tat end
    returning allowed, (extract(epoch from tat - statement_timestamp()) * 1000)::float8 as ahead_ms`;
  if (!row) throw new Error("rate_limits upsert returned no row");
  if (row.allowed) return { ok: true, remaining: Math.max(0, Math.floor((rule.windowMs - row.ahead_ms) / step + 1e-9)) };
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((row.ahead_ms - tolerance) / 1000)) };
}

/** Give back one token taken by consume (e.g. the attempt succeeded and should not count). */
export async function refund(key: string, rule: Limit, sql: postgres.Sql = getDatabase().sql): Promise<void> {
  await sql`update rate_limits set tat = tat - ${emissionMs(rule)}::float8 * interval '1 millisecond' where key = ${key}`;
}

/**
 * Several buckets for one attempt (e.g. the account and the client address): a token from each,
 * all or none. When one refuses, the tokens already taken are given back and the longest wait
 * is reported.
 */
export async function consumeAll(buckets: readonly { key: string; rule: Limit }[], sql: postgres.Sql = getDatabase().sql): Promise<Decision> {
  const taken: { key: string; rule: Limit }[] = [];
  let remaining = Infinity;
  for (const bucket of buckets) {
    const decision = await consume(bucket.key, bucket.rule, sql);
    if (!decision.ok) {
      await Promise.all(taken.map((t) => refund(t.key, t.rule, sql)));
      return decision;
    }
    taken.push(bucket);
    remaining = Math.min(remaining, decision.remaining);
  }
  return { ok: true, remaining: Number.isFinite(remaining) ? remaining : 0 };
}

/** Delete up to `batch` rows whose buckets are full again (same as absent); returns how many. */
export async function pruneRateLimits(sql: postgres.Sql, batch = 5000): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    with victims as (
      select key from rate_limits where tat < statement_timestamp() limit ${batch} for update skip locked
    ), gone as (
      delete from rate_limits r using victims v where r.key = v.key and r.tat < statement_timestamp() returning 1
    )
    select count(*)::int as n from gone`;
  return rows[0]?.n ?? 0;
}
