/**
 * `npm start`: Postgres (embedded unless DATABASE_URL is set), migrations, a build when sources
 * changed, then the web and the worker as separate processes. The demo accounts (printed
 * passwords) are seeded only into the embedded Postgres; on a DATABASE_URL nothing with a known
 * password is created and the operator makes the first owner with `runboard admin create`. Ctrl-C or SIGTERM
 * stops web and worker first (they finish their work), then Postgres.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { envNumber } from "@/lib/config";
import { createDatabase } from "@/lib/db/client";
import { ensureBuilt } from "./lib/build-state";
import { startEmbeddedPostgres, type EmbeddedCluster } from "./lib/embedded-pg";
import { migrateDatabase } from "./lib/migrate";
import { killRecordedOrphans, recordPids, startProcess, stopProcess, type Managed } from "./lib/processes";
import { countOwners } from "@/cli/admin";
import { DEMO_ACCOUNTS, DEMO_PROJECT, knownPasswordAccounts, seedDemo } from "./lib/seed";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data");
const pidFile = path.join(dataDir, "children.json");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
mkdirSync(dataDir, { recursive: true });

const webPort = envNumber("PORT", 3000);
let cluster: EmbeddedCluster | null = null;
const children: Managed[] = [];
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    console.log("\nStopping Runboard…");
    await Promise.all(children.map((c) => stopProcess(c, envNumber("SHUTDOWN_GRACE_MS", 20_000) + 5_000)));
    if (cluster) await cluster.stop();
    recordPids(pidFile, []);
    console.log("Stopped.");
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

/** A stable AUTH_SECRET per install, so sessions survive restarts. */
function authSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.join(dataDir, "auth-secret");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
}

async function main(): Promise<void> {
  killRecordedOrphans(pidFile);
  let url = process.env.DATABASE_URL;
  if (!url) {
    const port = envNumber("RUNBOARD_PG_PORT", 54329);
    console.log(`Starting the embedded Postgres (data in .data/pg, port ${port})…`);
    cluster = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), port });
    await ensureDatabase(cluster.url("postgres"), "runboard");
    url = cluster.url("runboard");
  }

  await migrateDatabase(url);
  const database = createDatabase(url, { max: 1 });
  const demo = cluster ? await seedDemo(database.db) : null;
  const owners = cluster ? null : await countOwners(database.db);
  const exposed = cluster ? [] : await knownPasswordAccounts(database.db);
  await database.close();

  if (!process.argv.includes("--dev") && ensureBuilt(root)) console.log("Built the dashboard (first start or sources changed).");

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    AUTH_SECRET: authSecret(),
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(webPort),
    RUNBOARD_URL: process.env.RUNBOARD_URL ?? `http://localhost:${webPort}`,
  };
  const web = startProcess("web", bin("next"), [process.argv.includes("--dev") ? "dev" : "start", "-p", String(webPort)], env);
  // `node --import tsx` rather than the tsx CLI: no wrapper process between our signals and the worker.
  const worker = startProcess("worker", process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], env);
  children.push(web, worker);
  recordPids(pidFile, children.map((c) => c.child.pid).filter((p): p is number => p !== undefined));

  const demoBanner = demo
    ? `${demo.created ? "Seeded" : "Demo"} project: ${DEMO_PROJECT.name} (/projects/${DEMO_PROJECT.slug}/jobs). Sign in as:
${DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(26)} password ${a.password.padEnd(18)} ${a.what}`).join("\n")}
(Demo accounts exist only on the embedded Postgres; with DATABASE_URL none are created.)`
    : owners === 0
      ? `No instance owner exists yet. Create one (the password is asked for, hidden):
  DATABASE_URL=… npx runboard admin create --email you@example.com --name "Your Name"`
      : "";
  const warning = exposed.length
    ? `WARNING: ${exposed.join(", ")} still ${exposed.length === 1 ? "has its" : "have their"} published demo password. Change it or disable the account (Users page).`
    : "";
  console.log(`
Runboard is starting on http://localhost:${webPort}
${[demoBanner, warning.trim()].filter(Boolean).join("\n")}
Press Ctrl-C to stop web, worker${cluster ? " and Postgres" : ""}.
`);

  // One part dying takes the rest down: a dashboard without its worker would queue forever.
  const first = await Promise.race(children.map((c) => c.exited.then((code) => ({ c, code }))));
  if (!shuttingDown) {
    console.error(`The ${first.c.name} process exited (code ${first.code}); stopping the rest.`);
    await shutdown(first.code ?? 1);
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
});
