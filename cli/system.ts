/**
 * Operator commands for system jobs (seed 002: not visible through the dashboard or API). They
 * run locally against the database, for the instance owner: `runboard system …` and
 * `npm run system -- …` both land here.
 */
import { inArray } from "drizzle-orm";
import { envNumber } from "@/lib/config";
import { createDatabase, type Db } from "@/lib/db/client";
import { jobSchedules } from "@/lib/db/schema";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition, systemJobDefinitions } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { latestRunPerType, runForOperator, runStatus, runStepsForOperator } from "@/lib/jobs/run-store";
import { EXIT, exitForStatus } from "./exit-codes";

export const SYSTEM_USAGE = `Usage: runboard system <command>   (local: uses DATABASE_URL, or the embedded Postgres of \`npm start\`)
  list                                  system job types with schedules, last runs and skipped ticks
  run <type> [--wait] [--payload JSON]  start a system job now
  show <run id>                         a run, its steps and its full (unredacted) error`;

export function systemDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${envNumber("RUNBOARD_PG_PORT", 54329)}/runboard`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");

async function list(db: Db): Promise<number> {
  const defs = systemJobDefinitions();
  const names = defs.map((d) => d.name);
  const schedules = await db.select().from(jobSchedules).where(inArray(jobSchedules.jobType, names));
  const latest = await latestRunPerType(db, names);
  const rows = [["TYPE", "SCHEDULE (UTC)", "LAST RUN", "STATUS", "AT", "SKIPPED", "LAST SKIPPED"]];
  for (const d of defs) {
    const s = schedules.find((x) => x.jobType === d.name);
    const r = latest.find((x) => x.jobType === d.name);
    rows.push([d.name, d.schedule ?? "manual", r?.id ?? "—", r?.status ?? "never run", iso(r?.queuedAt), String(s?.skippedCount ?? 0), iso(s?.lastSkippedAt)]);
  }
  console.log(table(rows));
  return EXIT.ok;
}

async function show(db: Db, runId: string | undefined): Promise<number> {
  if (!runId || !/^[0-9a-f-]{36}$/i.test(runId)) {
    console.error("show needs a run id");
    return EXIT.usage;
  }
  const run = await runForOperator(db, runId);
  if (!run) {
    console.error(`No run ${runId}`);
    return EXIT.notFound;
  }
  console.log(`${run.jobType}  ${run.status}  attempt ${run.attemptCount}/${run.maxAttempts}`);
  console.log(`queued ${iso(run.queuedAt)}  started ${iso(run.startedAt)}  finished ${iso(run.completedAt)}`);
  if (run.progressMessage) console.log(`progress ${run.progressProcessed ?? 0}/${run.progressTotal ?? "?"}  ${run.progressMessage}`);
  if (run.result) console.log(`result ${JSON.stringify(run.result)}`);
  if (run.error) console.log(`error ${run.error.type}/${run.error.subType} (severity ${run.error.severity}): ${run.error.message}${run.error.stack ? `\n${run.error.stack}` : ""}`);
  const steps = await runStepsForOperator(db, runId);
  for (const s of steps) console.log(`  ${iso(s.createdAt)}  ${s.stepType.padEnd(28)} ${s.status.padEnd(10)} attempt ${s.attemptNumber}${s.durationMs !== null ? `  ${s.durationMs} ms` : ""}${s.errorMessage ? `  ${s.errorMessage}` : ""}`);
  return EXIT.ok;
}

async function runNow(db: Db, url: string, args: string[]): Promise<number> {
  const def = getJobDefinition(args[0] ?? "");
  if (!def || def.scope !== "system") {
    console.error(`Unknown system job type "${args[0] ?? ""}". Known: ${systemJobDefinitions().map((d) => d.name).join(", ")}`);
    return EXIT.usage;
  }
  const payloadIndex = args.indexOf("--payload");
  let raw: unknown = {};
  if (payloadIndex >= 0) {
    try {
      raw = JSON.parse(args[payloadIndex + 1] ?? "");
    } catch {
      console.error("--payload must be JSON");
      return EXIT.usage;
    }
  }
  const parsed = def.payload.safeParse(raw);
  if (!parsed.success) {
    console.error(`Invalid payload: ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}`);
    return EXIT.usage;
  }
  const boss = createSendOnlyBoss(url);
  await boss.start();
  try {
    const result = await triggerRun(db, boss, { def, payload: parsed.data as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
    if (!result.ok) {
      console.error(`${def.name} is already running: run ${result.existingRunId}`);
      return EXIT.conflict;
    }
    console.log(`Started ${def.name}: run ${result.runId}`);
    if (!args.includes("--wait")) return EXIT.ok;
    for (;;) {
      const status = await runStatus(db, result.runId);
      if (status && isTerminal(status)) {
        await show(db, result.runId);
        return exitForStatus(status);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

/** Run one operator command; returns the process exit code. */
export async function systemCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== "list" && command !== "show" && command !== "run") {
    console.log(SYSTEM_USAGE);
    return command === undefined || command === "--help" || command === "-h" || command === "help" ? EXIT.ok : EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(SYSTEM_USAGE);
    return EXIT.ok;
  }
  const url = systemDatabaseUrl();
  const database = createDatabase(url, { max: 2 });
  try {
    if (command === "list") return await list(database.db);
    if (command === "show") return await show(database.db, rest[0]);
    return await runNow(database.db, url, rest);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return EXIT.error;
  } finally {
    await database.close();
  }
}
