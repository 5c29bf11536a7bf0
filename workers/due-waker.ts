import type { Sql } from "postgres";
import { BOSS_SCHEMA } from "@/lib/jobs/boss";

/**
 * How often an idle fetch loop polls when LISTEN/NOTIFY works. A job sent ready to run wakes its
 * queue's loops at once (pg-boss notifies in the insert); a delayed one (a retry's backoff, a
 * later run) is announced by the due waker below. The poll is then only a backstop, and a worker
 * serving many job types no longer sends a fetch per loop per queue every few seconds while idle.
 */
export function idlePollSeconds(pollSeconds: number): number {
  return Math.max(pollSeconds, 15);
}

/**
 * pg-boss's notification channel for a schema, as its listener derives it (plans.notifyChannelSql,
 * pg-boss 12). tests/integration/due-waker.test.ts fails if the two ever disagree.
 */
export const CHANNEL_SQL = `('pgboss_' || left(encode(sha224('${BOSS_SCHEMA}'::bytea), 'hex'), 24))`;

/**
 * One statement per interval for all the worker's queues: each queue with a job that came due
 * since the last look (within two intervals, so a late tick misses nothing) gets one NOTIFY, on
 * pg-boss's own channel, which wakes that queue's fetch loops in every worker listening.
 */
const WAKE_SQL = `
  select pg_notify(${CHANNEL_SQL}, d.name) from (
    select distinct name from ${BOSS_SCHEMA}.job
    where name = any($1::text[]) and state in ('created', 'retry')
      and start_after <= now() and start_after > now() - make_interval(secs => $2::float8)
  ) d`;

export type DueWaker = { stop: () => void };

export function startDueWaker(sql: Sql, queues: readonly string[], intervalSeconds: number, onError: (error: unknown) => void): DueWaker {
  let failing = false;
  const timer = setInterval(() => {
    sql
      .unsafe(WAKE_SQL, [[...queues], 2 * intervalSeconds] as never[], { prepare: true })
      .then(
        () => (failing = false),
        (error: unknown) => {
          // Once per outage: the sweepers and the backstop poll report the rest.
          if (!failing) onError(error);
          failing = true;
        },
      );
  }, intervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
