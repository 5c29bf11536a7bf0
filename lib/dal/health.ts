import "server-only";
import postgres from "postgres";
import { databaseUrl } from "@/lib/db/client";
import { DATABASE_UNAVAILABLE_MESSAGE, DatabaseUnreachableError, isDatabaseUnavailable } from "@/lib/db/errors";
import { migrationState } from "@/lib/ops/migrations";

export { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from "@/lib/db/errors";

/**
 * Whether Postgres answers right now: `select 1` on a fresh connection of its own (2 s connect
 * timeout), so a pool whose connections are broken cannot make it hang or lie. Public by design
 * through /api/health: it tells nothing but up or down, and the dashboard's error page asks it
 * to know when to reload by itself.
 */
export async function databaseReachable(): Promise<boolean> {
  const probe = postgres(databaseUrl(), { max: 1, connect_timeout: 2, idle_timeout: 1, onnotice: () => undefined });
  try {
    await probe`select 1`;
    return true;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return false;
    throw error;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => undefined);
  }
}

export type Readiness =
  | { ready: true }
  | { ready: false; reason: "database_unreachable"; message: string }
  | { ready: false; reason: "migrations_pending"; message: string; pending: number };

/**
 * Whether this web process can serve: Postgres answers (on a fresh connection, as above) and has
 * every migration this build expects. Public through /api/health/ready for load balancers and
 * orchestrators: it says which of the two is missing and how many migrations, nothing else.
 */
export async function readiness(): Promise<Readiness> {
  const probe = postgres(databaseUrl(), { max: 1, connect_timeout: 2, idle_timeout: 1, onnotice: () => undefined, connection: { statement_timeout: 2000 } });
  try {
    const state = await migrationState(probe);
    if (state.current) return { ready: true };
    const n = state.pending;
    return { ready: false, reason: "migrations_pending", pending: n, message: `${n} database migration${n === 1 ? " is" : "s are"} not applied yet. Run \`npm run db:migrate\` before rolling out this version.` };
  } catch (error) {
    if (isDatabaseUnavailable(error)) return { ready: false, reason: "database_unreachable", message: DATABASE_UNAVAILABLE_MESSAGE };
    throw error;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => undefined);
  }
}

const WATCH_MS = 1500;
/** A query lost on a pooled connection that closed just as Postgres came back never settles. */
const DEADLINE_MS = 10_000;

/**
 * Run a request's database work, but do not wait on it for long while Postgres is gone: after
 * 1.5 s, and every 1.5 s after that, probe Postgres on a fresh connection; when the probe fails,
 * reject with DatabaseUnreachableError (an answer of 503) instead of waiting on. A pooled query
 * can otherwise hang for good when its connection closes under it (porsager/postgres#1208), also
 * when Postgres is back before the first probe: past DEADLINE_MS the request answers 503 too
 * (request work is bounded well below it by design).
 */
export async function withDatabaseWatch<T>(work: () => Promise<T>, deadlineMs = DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const startedAt = Date.now();
  const watch = new Promise<never>((_, reject) => {
    const check = async () => {
      const reachable = await databaseReachable().catch(() => true);
      if (settled) return;
      if (!reachable) reject(new DatabaseUnreachableError(new Error("a fresh connection to Postgres failed")));
      else if (Date.now() - startedAt >= deadlineMs) reject(new DatabaseUnreachableError(new Error(`Postgres did not answer within ${deadlineMs / 1000} s`)));
      else timer = setTimeout(() => void check(), WATCH_MS);
    };
    timer = setTimeout(() => void check(), WATCH_MS);
  });
  try {
    return await Promise.race([work(), watch]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}
