/**
 * `npm run bench:import-lag`: how much a contacts_import of a hostile 10 MB file stalls the worker
 * that runs it. The worker runs in this process; its event-loop delay (perf_hooks'
 * monitorEventLoopDelay) is sampled while each file imports, and each hostile file's p99 / max
 * delay is reported against the same process's while it imports a normal 10 MB contact list.
 * Event-loop delay is what other runs on the worker feel: heartbeats, progress writes and cancel
 * checks wait that long.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { eq } from "drizzle-orm";
import { createDatabase } from "@/lib/db/client";
import { files, jobRuns, projects, teams } from "@/lib/db/schema";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { IMPORT_CSV_LIMITS } from "@/jobs/contacts-import.handler";
import { startWorker } from "@/workers/start-worker";
import { createDatabaseFromTemplate, startTestCluster } from "@/scripts/lib/test-cluster";

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_IMPORT_MB ?? 10) * MB;
const root = path.resolve(import.meta.dirname, "..");

/** Rows from `row(i)` after `header` until the file reaches SIZE bytes. */
function fill(header: string, row: (i: number) => string): Buffer {
  const parts = [header];
  let size = header.length;
  for (let i = 0; size < SIZE; i++) {
    const line = row(i);
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(""));
}

const width = IMPORT_CSV_LIMITS.maxColumns;
const FILES: { name: string; note: string; content: () => Buffer }[] = [
  { name: "normal", note: "email,name,company; ~40 bytes a row", content: () => fill("email,name,company\n", (i) => `user${i}@example.com,User ${i},Company ${i % 997}\n`) },
  {
    name: "widest rows",
    note: `${width} columns on every row, all but the email empty (the widest allowed)`,
    content: () => fill(`email,${Array.from({ length: width - 1 }, (_, i) => `c${i}`).join(",")}\n`, (i) => `w${i}@example.com${",".repeat(width - 1)}\n`),
  },
  {
    name: "quote runs",
    note: `rows of ~60 KB quoted fields made of doubled quotes`,
    content: () => fill("email,name\n", (i) => `q${i}@example.com,"${'""'.repeat(30_000)}"\n`),
  },
  {
    name: "20,000-column header",
    note: "the shape that froze the worker for 2.9 s at 30 KB, grown to 10 MB of short rows",
    content: () => fill(`email,${Array.from({ length: 19_999 }, (_, i) => `c${i}`).join(",")}\n`, () => "a@example.com,x\n"),
  },
  { name: "one endless row", note: "10 MB without a line break", content: () => Buffer.alloc(SIZE, "x") },
];

const ms = (ns: number) => ns / 1e6;

const cluster = await startTestCluster(root, "bench");
try {
  const url = await createDatabaseFromTemplate(cluster.url("postgres"), `rb_bench_import_${Date.now()}`);
  const database = createDatabase(url, { max: 4 });
  const boss = createSendOnlyBoss(url);
  await boss.start();
  const worker = await startWorker({
    url,
    workerName: "bench-import",
    batchSize: 8,
    concurrency: 2,
    dbPool: 10,
    heartbeatSeconds: 30,
    progressIntervalMs: 1000,
    cancelPollMs: 1000,
    pollSeconds: 2,
    shutdownGraceMs: 5000,
    staleAfterSeconds: 600,
    sweepIntervalSeconds: 30,
  });
  const [team] = await database.db.insert(teams).values({ slug: `imp-${randomUUID().slice(0, 8)}`, name: "Import bench" }).returning();
  const def = getJobDefinition("contacts_import")!;

  console.log(`contacts_import of ${SIZE / MB} MB files: the worker's event-loop delay while each imports (this process)`);
  const results: { name: string; p99: number; max: number }[] = [];
  for (const file of FILES) {
    const content = file.content();
    // A project per file: one import per project may run at a time.
    const [project] = await database.db.insert(projects).values({ teamId: team!.id, slug: `imp-${randomUUID().slice(0, 8)}`, name: file.name }).returning();
    const [stored] = await database.db.insert(files).values({ projectId: project!.id, name: "contacts.csv", contentType: "text/csv", sizeBytes: content.length, content }).returning({ id: files.id });
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const t0 = performance.now();
    const result = await triggerRun(database.db, boss, { def, payload: { fileId: stored!.id }, teamId: team!.id, projectId: project!.id, triggeredBy: null, notify: false });
    if (!result.ok) throw new Error("overlap in bench");
    let run: { status: string; error: string | null; result: unknown } | undefined;
    for (;;) {
      [run] = await database.db.select({ status: jobRuns.status, error: jobRuns.errorMessage, result: jobRuns.result }).from(jobRuns).where(eq(jobRuns.id, result.runId));
      if (run && ["completed", "failed", "dead_letter"].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - t0) / 1000;
    histogram.disable();
    const p99 = ms(histogram.percentile(99));
    const max = ms(histogram.max);
    results.push({ name: file.name, p99, max });
    const outcome = run!.status === "completed" ? `completed, ${(run!.result as { imported?: number }).imported} imported` : `${run!.status}: ${run!.error}`;
    console.log(`  ${file.name.padEnd(22)} ${seconds.toFixed(1).padStart(5)} s  loop delay p99 ${p99.toFixed(1).padStart(6)} ms, max ${max.toFixed(1).padStart(6)} ms  (${file.note}) -> ${outcome.slice(0, 140)}`);
  }
  const base = results[0]!;
  console.log(`Against the normal file's p99 ${base.p99.toFixed(1)} ms / max ${base.max.toFixed(1)} ms in the same run:`);
  for (const r of results.slice(1)) {
    console.log(`  ${r.name.padEnd(22)} p99 ${(r.p99 / base.p99).toFixed(2)}x, max ${(r.max / base.max).toFixed(2)}x   (target: about 1x; before this change the 30 KB shape alone blocked 2.9 s)`);
  }
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await database.close();
} finally {
  await cluster.stop();
}
process.exit(0);
