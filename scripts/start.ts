/**
 * `npm start`: Postgres (embedded unless DATABASE_URL is set), migrations, a build when sources
 * changed, then the web and the worker as separate supervised processes: one that crashes is
 * restarted (with backoff) while the other keeps serving. The demo accounts (printed
 * passwords) are seeded only into the embedded Postgres; on a DATABASE_URL nothing with a known
 * password is created and the operator makes the first owner with `runboard admin create`. Ctrl-C or SIGTERM
 * stops web and worker first (they finish their work), then Postgres, by its data directory's postmaster.pid.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { envNumber } from "@/lib/config";
import { createDatabase } from "@/lib/db/client";
import { ensureBuilt } from "./lib/build-state";
import { ensureWorkerBundle } from "./lib/worker-bundle";
import { postmasterOf, startEmbeddedPostgres, type EmbeddedCluster } from "./lib/embedded-pg";
import { migrateDatabase } from "./lib/migrate";
import { killRecordedOrphans, recordPids, supervise, type Supervised } from "./lib/processes";
import { countOwners } from "@/cli/admin";
import { DEMO_ACCOUNTS, DEMO_PROJECT, knownPasswordAccounts, seedDemo } from "./lib/seed";
import { webEnv } from "./lib/web-env";

const root = path.resolve(import.meta.dirname, "..");
// RUNBOARD_DATA_DIR: where the embedded Postgres, the auth secret and the pid record live.
const dataDir = path.resolve(process.env.RUNBOARD_DATA_DIR ?? path.join(root, ".data"));
const pidFile = path.join(dataDir, "children.json");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
mkdirSync(dataDir, { recursive: true });

const webPort = envNumber("PORT", 3000);
let cluster: EmbeddedCluster | null = null;
const children: Supervised[] = [];
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    console.log("\nStopping Runboard…");
    await Promise.all(children.map((c) => c.stop(envNumber("SHUTDOWN_GRACE_MS", 20_000) + 5_000)));
    // By its postmaster.pid: ours, or one restarted underneath us.
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
    console.log(`Starting the embedded Postgres (data in ${path.relative(root, path.join(dataDir, "pg")) || "."}, port ${port})…`);
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
  // runboard/worker, for services that host their own job types (docs/external-workers.md).
  if (await ensureWorkerBundle(root)) console.log("Built the worker entry (dist/worker.mjs).");

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    AUTH_SECRET: authSecret(),
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(webPort),
    RUNBOARD_URL: process.env.RUNBOARD_URL ?? `http://localhost:${webPort}`,
  };
  const record = () => recordPids(pidFile, children.map((c) => ({ name: c.name, pid: c.current().child.pid ?? 0 })));
  const options = { onSpawn: () => queueMicrotask(record) };
  children.push(
    supervise("web", bin("next"), [process.argv.includes("--dev") ? "dev" : "start", "-p", String(webPort)], webEnv(env), options),
    // `node --import tsx` rather than the tsx CLI: no wrapper process between our signals and the worker.
    supervise("worker", process.execPath, ["--import", "tsx", path.join(root, "workers", "index.ts")], env, options),
  );
  record();

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

  // A dead worker or web is restarted by its supervisor; the dashboard answers 503 while
  // Postgres is unreachable. Say so when our Postgres stops, as nothing restarts it here.
  if (cluster) void watchPostgres(cluster.dataDir);
}

async function watchPostgres(pgDir: string): Promise<void> {
  let held = true;
  while (!shuttingDown) {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = (await postmasterOf(pgDir)) !== null;
    if (held && !now && !shuttingDown) console.error("[supervisor] Postgres is not running: web answers 503 and the worker retries until it is back (or press Ctrl-C).");
    if (!held && now) console.log("[supervisor] Postgres is running again.");
    held = now;
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
});
