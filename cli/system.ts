/**
 * Operator commands for system jobs (seed 002: tenants never see them). They run locally against
 * the database, for the instance owner: `runboard system …` and `npm run system -- …` both land
 * here; list, pause, resume and run share lib/jobs/system-schedules with the dashboard's System page.
 */
import type { PgBoss } from "pg-boss";
import { envNumber } from "@/lib/config";
import { createDatabase, type Db } from "@/lib/db/client";
import { createSendOnlyBoss } from "@/lib/jobs/boss";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerWarnings } from "@/lib/jobs/worker-registry";
import { isTerminal } from "@/lib/jobs/lifecycle";
import { runForOperator, runStatus, runStepsForOperator } from "@/lib/jobs/run-store";
import { listSystemSchedules, runSystemJobNow, setSystemSchedulePaused } from "@/lib/jobs/system-schedules";
import { EXIT, exitForStatus } from "./exit-codes";

export const SYSTEM_USAGE = `Usage: runboard system <command>   (local: uses DATABASE_URL, or the embedded Postgres of \`npm start\`)
  list                                  system job types with schedules, last runs and skipped ticks
  run <type> [--wait] [--payload JSON]  start a system job now
  pause <type> | resume <type>          stop or restart a system job's schedule (the dashboard's System page does the same)
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
  const rows = [["TYPE", "SCHEDULE (UTC)", "STATE", "NEXT RUN", "LAST RUN", "STATUS", "AT", "SKIPPED", "LAST SKIPPED"]];
  for (const s of await listSystemSchedules(db)) {
    const state = s.cron ? (s.paused ? "paused" : "active") : "—";
    rows.push([s.jobType, s.cron ?? "manual", state, iso(date(s.nextRunAt)), s.lastRun?.id ?? "—", s.lastRun?.status ?? "never run", iso(date(s.lastRun?.queuedAt)), String(s.skippedCount), iso(date(s.lastSkippedAt))]);
  }
  console.log(table(rows));
  return EXIT.ok;
}

const date = (value: string | null | undefined) => (value ? new Date(value) : null);

/** The CLI acts as the instance owner (it holds the database): no user, recorded as via "cli". */
const CLI_ACTOR = { userId: null, apiKeyId: null };

async function withBoss<T>(url: string, body: (boss: PgBoss) => Promise<T>): Promise<T> {
  const boss = createSendOnlyBoss(url);
  await boss.start();
  try {
    return await body(boss);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

async function pause(db: Db, url: string, jobType: string | undefined, paused: boolean): Promise<number> {
  if (!jobType) {
    console.error(`${paused ? "pause" : "resume"} needs a system job type`);
    return EXIT.usage;
  }
  const outcome = await withBoss(url, (boss) => setSystemSchedulePaused(db, boss, jobType, paused, CLI_ACTOR, "cli"));
  if (!outcome.ok) {
    console.error(outcome.message);
    return outcome.code === "unchanged" ? EXIT.ok : EXIT.usage;
  }
  console.log(paused ? `Paused the ${jobType} schedule: no ticks until it is resumed.` : `Resumed the ${jobType} schedule.`);
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
  return withBoss(url, async (boss) => {
    const result = await runSystemJobNow(db, boss, args[0] ?? "", raw, CLI_ACTOR, "cli");
    if (!result.ok) {
      console.error(result.message);
      return result.code === "already_active" ? EXIT.conflict : EXIT.usage;
    }
    console.log(`Started ${args[0]}: run ${result.runId}`);
    const def = getJobDefinition(args[0] ?? "");
    if (def) for (const warning of await triggerWarnings(db, def)) console.error(`warning: ${warning}.`);
    if (!args.includes("--wait")) return EXIT.ok;
    for (;;) {
      const status = await runStatus(db, result.runId);
      if (status && isTerminal(status)) {
        await show(db, result.runId);
        return exitForStatus(status);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

/** Run one operator command; returns the process exit code. */
export async function systemCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== "list" && command !== "show" && command !== "run" && command !== "pause" && command !== "resume") {
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
    if (command === "pause" || command === "resume") return await pause(database.db, url, rest[0], command === "pause");
    return await runNow(database.db, url, rest);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return EXIT.error;
  } finally {
    await database.close();
  }
}
