/**
 * `node --import tsx bench/queues-explain.ts`: EXPLAIN (ANALYZE, BUFFERS) of the Queues view's
 * statement on the history benchmark's 10M-run database (bench/history-seed.ts), for the biggest
 * project and for the instance, so the plans' index use can be checked by eye.
 */
import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "@/lib/db/schema";
import { JOB_DEFINITIONS } from "@/lib/jobs/catalog";
import { readQueueStats } from "@/lib/jobs/queue-stats";
import { BIG_PROJECT, startHistoryBenchDb } from "./history-seed";

const root = path.resolve(import.meta.dirname, "..");
const { cluster, url } = await startHistoryBenchDb(root);
const client = postgres(url, { max: 1, onnotice: () => undefined });
try {
  const [project] = await client<{ id: string }[]>`select id from projects where slug = ${BIG_PROJECT}`;
  const types = JOB_DEFINITIONS.map((d) => d.name);
  // The statement as the DAL sends it, captured from drizzle's logger and explained.
  let captured: { query: string; params: unknown[] } | null = null;
  const db = drizzle(client, { schema, logger: { logQuery: (query, params) => void (captured = { query, params }) } });
  for (const [name, projectId] of [
    [`project ${BIG_PROJECT}`, project!.id],
    ["instance", null],
  ] as const) {
    await readQueueStats(db, types, projectId);
    const { query, params } = captured!;
    const plan = await client.unsafe<{ "QUERY PLAN": string }[]>(`explain (analyze, buffers) ${query}`, params as never[]);
    console.log(`\n── ${name}\n${plan.map((r) => r["QUERY PLAN"]).join("\n")}`);
  }
} finally {
  await client.end();
  await cluster.stop();
}
