import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Children we start, recorded so a start after a crash can stop orphans still holding ports. */
export function recordPids(file: string, children: { name: string; pid: number }[]): void {
  writeFileSync(file, JSON.stringify(children));
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
  for (const entry of pids) {
    // An earlier version recorded bare pids.
    const pid: unknown = typeof entry === "object" && entry !== null ? (entry as { pid?: unknown }).pid : entry;
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

export type SupervisorOptions = {
  /** First restart delay; doubles on each crash in a row, up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A process that ran this long before it crashed counts as stable: the delay starts over. */
  stableAfterMs?: number;
  log?: (line: string) => void;
  /** Called with each new process, e.g. to record its pid. */
  onSpawn?: (p: Managed) => void;
};

export type Supervised = {
  name: string;
  /** The process running now (a new one after each restart). */
  current: () => Managed;
  restarts: () => number;
  /** Stop restarting, then stop the process (SIGTERM to its group, SIGKILL after graceMs). */
  stop: (graceMs: number) => Promise<void>;
};

/**
 * Keep a process running: when it exits on its own, log how (code or signal) and start it again
 * after an exponential, capped backoff, so a crash loop does not spin. stop() ends the loop.
 */
export function supervise(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, options: SupervisorOptions = {}): Supervised {
  const { minBackoffMs = 1_000, maxBackoffMs = 30_000, stableAfterMs = 60_000, log = (line: string) => console.error(line), onSpawn } = options;
  let stopping = false;
  let restarts = 0;
  let backoff = minBackoffMs;
  let wake: (() => void) | null = null;
  const spawnOne = (): Managed => {
    const p = startProcess(name, command, args, env);
    onSpawn?.(p);
    return p;
  };
  let current = spawnOne();

  void (async () => {
    for (;;) {
      const startedAt = Date.now();
      const child = current.child;
      await current.exited;
      if (stopping) return;
      const ranMs = Date.now() - startedAt;
      if (ranMs >= stableAfterMs) backoff = minBackoffMs;
      const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
      log(`[supervisor] ${name} (pid ${child.pid}) exited with ${how} after ${Math.round(ranMs / 1000)} s; restarting in ${backoff / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopping) return;
      backoff = Math.min(backoff * 2, maxBackoffMs);
      restarts++;
      current = spawnOne();
      log(`[supervisor] ${name} restarted (pid ${current.child.pid}, restart ${restarts})`);
    }
  })();

  return {
    name,
    current: () => current,
    restarts: () => restarts,
    stop: async (graceMs) => {
      stopping = true;
      wake?.();
      await stopProcess(current, graceMs);
    },
  };
}
