/**
 * Operator commands for system jobs (seed 002: not visible through the dashboard or API).
 *   npm run system -- list              system job types, schedules, last runs, skipped ticks
 *   npm run system -- run <type> [--wait] [--payload JSON]
 *   npm run system -- show <run id>     a run with its steps and unredacted error
 * Uses DATABASE_URL, or the embedded Postgres that `npm start` runs.
 */
import { desc, eq, inArray } from "drizzle-orm";
import { envNumber } from "@/lib/config";
import { createDatabase } from "@/lib/db/client";
import { jobRuns, jobRunSteps, jobSchedules } from "@/lib/db/schema";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition, systemJobDefinitions } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { isTerminal } from "@/lib/jobs/lifecycle";

const USAGE = `Usage: npm run system -- <command>
  list                              system job types with schedules, last runs and skipped ticks
  run <type> [--wait] [--payload JSON]  start a system job now
  show <run id>                     a run, its steps and its full error`;

const url = process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${envNumber("RUNBOARD_PG_PORT", 54329)}/runboard`;
const database = createDatabase(url, { max: 2 });
const { db } = database;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");

async function list(): Promise<number> {
  const defs = systemJobDefinitions();
  const names = defs.map((d) => d.name);
  const schedules = await db.select().from(jobSchedules).where(inArray(jobSchedules.jobType, names));
  const latest = await db
    .selectDistinctOn([jobRuns.jobType], { jobType: jobRuns.jobType, id: jobRuns.id, status: jobRuns.status, queuedAt: jobRuns.queuedAt })
    .from(jobRuns)
    .where(inArray(jobRuns.jobType, names))
    .orderBy(jobRuns.jobType, desc(jobRuns.queuedAt));
  const rows = [["TYPE", "SCHEDULE (UTC)", "LAST RUN", "STATUS", "AT", "SKIPPED", "LAST SKIPPED"]];
  for (const d of defs) {
    const s = schedules.find((x) => x.jobType === d.name);
    const r = latest.find((x) => x.jobType === d.name);
    rows.push([d.name, d.schedule ?? "manual", r?.id ?? "—", r?.status ?? "never run", iso(r?.queuedAt), String(s?.skippedCount ?? 0), iso(s?.lastSkippedAt)]);
  }
  console.log(table(rows));
  return 0;
}

async function show(runId: string | undefined): Promise<number> {
  if (!runId || !/^[0-9a-f-]{36}$/i.test(runId)) {
    console.error("show needs a run id");
    return 2;
  }
  const [run] = await db.select().from(jobRuns).where(eq(jobRuns.id, runId));
  if (!run) {
    console.error(`No run ${runId}`);
    return 1;
  }
  console.log(`${run.jobType}  ${run.status}  attempt ${run.attemptCount}/${run.maxAttempts}`);
  console.log(`queued ${iso(run.queuedAt)}  started ${iso(run.startedAt)}  finished ${iso(run.completedAt)}`);
  if (run.progressMessage) console.log(`progress ${run.progressProcessed ?? 0}/${run.progressTotal ?? "?"}  ${run.progressMessage}`);
  if (run.result) console.log(`result ${JSON.stringify(run.result)}`);
  if (run.error) console.log(`error ${run.error.type}/${run.error.subType} (severity ${run.error.severity}): ${run.error.message}${run.error.stack ? `\n${run.error.stack}` : ""}`);
  const steps = await db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, runId)).orderBy(jobRunSteps.createdAt).limit(200);
  for (const s of steps) console.log(`  ${iso(s.createdAt)}  ${s.stepType.padEnd(28)} ${s.status.padEnd(10)} attempt ${s.attemptNumber}${s.durationMs !== null ? `  ${s.durationMs} ms` : ""}${s.errorMessage ? `  ${s.errorMessage}` : ""}`);
  return 0;
}

async function runNow(args: string[]): Promise<number> {
  const def = getJobDefinition(args[0] ?? "");
  if (!def || def.scope !== "system") {
    console.error(`Unknown system job type "${args[0] ?? ""}". Known: ${systemJobDefinitions().map((d) => d.name).join(", ")}`);
    return 2;
  }
  const payloadIndex = args.indexOf("--payload");
  let raw: unknown = {};
  if (payloadIndex >= 0) {
    try {
      raw = JSON.parse(args[payloadIndex + 1] ?? "");
    } catch {
      console.error("--payload must be JSON");
      return 2;
    }
  }
  const parsed = def.payload.safeParse(raw);
  if (!parsed.success) {
    console.error(`Invalid payload: ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}`);
    return 2;
  }
  const boss = createSendOnlyBoss(url);
  await boss.start();
  try {
    const result = await triggerRun(db, boss, { def, payload: parsed.data as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
    if (!result.ok) {
      console.error(`${def.name} is already running: run ${result.existingRunId}`);
      return 3;
    }
    console.log(`Started ${def.name}: run ${result.runId}`);
    if (!args.includes("--wait")) return 0;
    for (;;) {
      const [run] = await db.select({ status: jobRuns.status }).from(jobRuns).where(eq(jobRuns.id, result.runId));
      if (run && isTerminal(run.status)) {
        await show(result.runId);
        return run.status === "completed" ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

const [command, ...rest] = process.argv.slice(2);
let code = 2;
try {
  if (command === "list") code = await list();
  else if (command === "show") code = await show(rest[0]);
  else if (command === "run") code = await runNow(rest);
  else console.log(USAGE);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  code = 1;
} finally {
  await database.close();
}
process.exit(code);
