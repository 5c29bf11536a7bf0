/**
 * `npm run bench:rate-limit`: what the Postgres limiter adds to a request. One consume() (the
 * upsert every API request and sign-in makes) against the cheapest round trip on the same pool
 * (`select 1`), measured interleaved in the same run, sequentially and with 16 callers on one key.
 */
import path from "node:path";
import { createDatabase } from "@/lib/db/client";
import { consume, limitKey } from "@/lib/security/throttle";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);
const root = path.resolve(import.meta.dirname, "..");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(3)} ms, p95 ${pct(xs, 0.95).toFixed(3)} ms`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const cluster = await startTestCluster(root, "bench-rate");
try {
  const url = await createDatabaseFromTemplate(cluster.url("postgres"), `rb_bench_rate_${Date.now()}`);
  const { sql, close } = createDatabase(url, { max: 16 });
  const rule = { limit: 1e9, windowMs: 1000 };
  const hot = limitKey("bench", "hot");
  for (let i = 0; i < 200; i++) await Promise.all([sql`select 1`, consume(hot, rule, sql)]);

  const base: number[] = [];
  const same: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await timed(() => sql`select 1`));
    same.push(await timed(() => consume(hot, rule, sql)));
    fresh.push(await timed(() => consume(limitKey("bench", `k${i}`), rule, sql)));
  }
  console.log(`select 1 (baseline)       ${fmt(base)}`);
  console.log(`consume, one key          ${fmt(same)}  (${(pct(same, 0.5) / pct(base, 0.5)).toFixed(2)}× baseline p50)`);
  console.log(`consume, new key each     ${fmt(fresh)}  (${(pct(fresh, 0.5) / pct(base, 0.5)).toFixed(2)}× baseline p50)`);

  // 16 callers on one key: they queue on the row lock, so this is the contended worst case.
  const contendedBase: number[] = [];
  const contended: number[] = [];
  for (let i = 0; i < ROUNDS / 16; i++) {
    contendedBase.push(...(await Promise.all(Array.from({ length: 16 }, () => timed(() => sql`select 1`)))));
    contended.push(...(await Promise.all(Array.from({ length: 16 }, () => timed(() => consume(hot, rule, sql))))));
  }
  console.log(`16 parallel, select 1     ${fmt(contendedBase)}`);
  console.log(`16 parallel, one key      ${fmt(contended)}  (${(pct(contended, 0.5) / pct(contendedBase, 0.5)).toFixed(2)}× baseline p50)`);
  await close();
} finally {
  await cluster.stop();
}
