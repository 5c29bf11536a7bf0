import path from "node:path";
import postgres from "postgres";
import { startHistoryBenchDb } from "@/bench/history-seed";
const { cluster, url } = await startHistoryBenchDb(path.resolve("."));
const sql = postgres(url, { max: 1 });
const [p] = await sql`select id from projects where slug = 'bench-p0'`;
const pid = p!.id as string;
const cols = "id, project_id, job_type, status, queued_at";
const qs: Record<string, string> = {
  active: `select ${cols} from job_runs where status in ('pending', 'running') and project_id in ('${pid}') order by queued_at desc nulls last, id desc nulls last limit 26`,
  finished: `select ${cols} from job_runs where project_id = '${pid}'::uuid and status in ('completed', 'failed', 'cancelled', 'dead_letter') order by queued_at desc nulls last, id desc nulls last limit 26`,
  count: `select count(*) from (select 1 from job_runs where project_id in ('${pid}') limit 1001) s`,
};
for (const q of process.argv.slice(2)) qs[q.slice(0, 20)] = q.replaceAll("$P", pid);
for (const [name, q] of Object.entries(qs)) {
  const rows = await sql.unsafe(`explain (analyze, buffers) ${q}`);
  console.log(`--- ${name}\n` + rows.map((r) => r["QUERY PLAN"]).join("\n"));
}
await sql.end(); await cluster.stop();
