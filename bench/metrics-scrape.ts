/**
 * `npm run bench:metrics`: the instance gauges /api/metrics reads at scrape time
 * (lib/metrics/instance-gauges.ts), on 1M runs: a normal mix (1% pending) and a backlog (90%
 * pending), against the same scrape on an empty job_runs in the same run. The ratio is what to
 * watch: counts are capped and the oldest pending run is one index probe, so a backlog must not
 * make a scrape grow with it.
 */
import path from "node:path";
import postgres from "postgres";
import { readInstanceGauges } from "@/lib/metrics/instance-gauges";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";

const RUNS = Number(process.env.BENCH_RUNS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);
const JOB_TYPES = ["contacts_import", "runs_export", "demo_paced", "notification_delivery", "partition_creation", "db_pruning", "soft_delete_cleanup"];

const root = path.resolve(import.meta.dirname, "..");
const cluster = await startTestCluster(root, "bench");
try {
  const sql = postgres(await createDatabaseFromTemplate(cluster.url("postgres"), "bench_metrics"), { max: 1, onnotice: () => undefined });
  const median = async () => {
    const ms: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      await readInstanceGauges(sql, JOB_TYPES);
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  };
  const seed = async (pendingShare: number) => {
    await sql`truncate job_runs cascade`;
    await sql`
      insert into job_runs (id, job_type, status, max_attempts, payload, payload_public, queued_at)
      select gen_random_uuid(), (array['contacts_import', 'runs_export', 'demo_paced', 'notification_delivery'])[1 + g % 4],
        case when random() < ${pendingShare} then 'pending' else 'completed' end, 1, '{}'::jsonb, '{}'::jsonb, now() - make_interval(secs => g)
      from generate_series(1, ${RUNS}) g`;
    await sql`vacuum analyze job_runs`;
  };
  const baseline = await median();
  console.log(`empty job_runs (baseline): ${baseline.toFixed(1)} ms per scrape`);
  for (const [label, share] of [["1% pending", 0.01], ["90% pending (backlog)", 0.9]] as const) {
    await seed(share);
    const ms = await median();
    console.log(`${RUNS.toLocaleString("en")} runs, ${label}: ${ms.toFixed(1)} ms per scrape, ${(ms / baseline).toFixed(1)}x the baseline`);
  }
  await sql.end();
} finally {
  await cluster.stop();
}
