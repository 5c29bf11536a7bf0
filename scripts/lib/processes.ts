import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Children we start, recorded so a start after a crash can stop orphans still holding ports. */
export function recordPids(file: string, pids: number[]): void {
  writeFileSync(file, JSON.stringify(pids));
}

export function killRecordedOrphans(file: string): void {
  if (!existsSync(file)) return;
  let pids: unknown;
  try {
    pids = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return;
  }
  if (!Array.isArray(pids)) return;
  for (const pid of pids) {
    if (typeof pid !== "number") continue;
    try {
      // Negative pid: the child's whole process group (it was spawned detached).
      process.kill(-pid, "SIGTERM");
      console.log(`Stopped a process (group ${pid}) left by an earlier start.`);
    } catch {
      // already gone
    }
  }
}

export type Managed = { name: string; child: ChildProcess; exited: Promise<number | null> };

/** Spawn in its own process group so one Ctrl-C stops things in our order, not all at once. */
export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Managed {
  const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"], detached: true });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, exited };
}

export async function stopProcess(p: Managed, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null || p.child.pid === undefined) return;
  try {
    process.kill(-p.child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(p.child.pid as number), "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, graceMs);
  await p.exited;
  clearTimeout(timer);
}
