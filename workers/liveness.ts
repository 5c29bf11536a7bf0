import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import postgres from "postgres";
import type { WorkerCommand, WorkerReportedState } from "@/lib/db/schema";
import { LIVENESS_PINGS_PER_HEARTBEAT } from "@/lib/jobs/liveness";

export type WorkerIdentity = {
  id: string;
  name: string;
  host: string;
  pid: number;
  version: string;
  jobTypes: string[];
  concurrency: number;
  heartbeatSeconds: number;
};

/** Instances started by this process (tests run several in one). */
const ownInstances = new Set<string>();

/** A process's own id: several live processes may share a name, never an id. */
export function newWorkerId(name: string): string {
  return `${name}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * Whether an instance registered on this host is certainly gone: its pid is not alive, or is this
 * process's pid though this process did not start it (a container restarted with the same pid).
 * A pid reused by another process reads as alive: that instance is left to the liveness sweep.
 */
export function instanceGone(instance: { id: string; pid: number }): boolean {
  if (instance.pid === process.pid) return !ownInstances.has(instance.id);
  try {
    process.kill(instance.pid, 0);
    return false;
  } catch (e) {
    // EPERM: the pid is another user's live process.
    return (e as NodeJS.ErrnoException).code !== "EPERM";
  }
}

export function workerIdentity(fields: Omit<WorkerIdentity, "id" | "host" | "pid"> & { id?: string }): WorkerIdentity {
  const id = fields.id ?? newWorkerId(fields.name);
  ownInstances.add(id);
  return { ...fields, id, host: hostname(), pid: process.pid };
}

/**
 * The worker's registration in `workers` and its liveness ping. The ping has its own connection
 * and its own timer, so a pool busy with handlers' queries (or a backlog of claims) cannot delay
 * it, and it is an upsert, so it re-registers after anything (a Postgres restart, a pruned row).
 * What it cannot survive is the event loop itself being blocked: a handler that computes
 * synchronously for longer than 1.5 heartbeats makes the worker look lost, and its runs are
 * recovered (fenced: its late writes change nothing). CPU-bound handlers must yield, or use a
 * worker thread, as they must anyway for cancel and progress to work.
 */
export class WorkerLiveness {
  private readonly sql: postgres.Sql;
  private timer: NodeJS.Timeout | null = null;
  private pinging: Promise<void> | null = null;
  /** Since when every ping has landed (null: the last one failed). */
  private healthySince: number | null = null;
  /** What the next ping reports (see report). */
  private state: WorkerReportedState = "live";
  /** Told the command on the worker's row after each ping (the Workers page's quiet / stop). */
  onCommand: ((command: WorkerCommand | null) => void) | null = null;

  constructor(
    url: string,
    readonly identity: WorkerIdentity,
  ) {
    this.sql = postgres(url, { max: 1, onnotice: () => undefined, connection: { application_name: "runboard-worker-liveness" } });
  }

  /** Register (the first ping), then ping LIVENESS_PINGS_PER_HEARTBEAT times per heartbeat. */
  async start(): Promise<void> {
    await this.ping();
    const everyMs = (this.identity.heartbeatSeconds * 1000) / LIVENESS_PINGS_PER_HEARTBEAT;
    this.timer = setInterval(() => {
      // A ping still waiting (Postgres away) is not doubled up.
      this.pinging ??= this.ping()
        .catch((e) => console.error("[worker] liveness ping failed", e))
        .finally(() => (this.pinging = null));
    }, everyMs);
    this.timer.unref();
  }

  /** Report a new state now, rather than at the next timed ping. */
  report(state: WorkerReportedState): Promise<void> {
    this.state = state;
    if (!this.timer) return Promise.resolve();
    const reported = (this.pinging ?? Promise.resolve()).then(() => this.ping()).catch((e) => console.error("[worker] liveness ping failed", e));
    return reported;
  }

  /**
   * How long this worker has reached the database without a break: the sweep judges another
   * worker's silence only once this covers that worker's whole window (see sweepStaleRuns).
   */
  healthySeconds(): number {
    return this.healthySince === null ? 0 : (Date.now() - this.healthySince) / 1000;
  }

  private async ping(): Promise<void> {
    const w = this.identity;
    try {
      const [row] = await this.sql<{ command: WorkerCommand | null }[]>`
        insert into workers (id, name, host, pid, version, job_types, concurrency, heartbeat_seconds, state)
        values (${w.id}, ${w.name}, ${w.host}, ${w.pid}, ${w.version}, ${w.jobTypes}, ${w.concurrency}, ${w.heartbeatSeconds}, ${this.state})
        on conflict (id) do update set last_seen_at = now(), stopped_at = null, state = excluded.state
        returning command`;
      this.healthySince ??= Date.now();
      this.onCommand?.(row?.command ?? null);
    } catch (error) {
      this.healthySince = null;
      throw error;
    }
  }

  /** The worker stopped: whatever it still holds is recovered by the next sweep, without waiting. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pinging;
    try {
      await this.sql`update workers set stopped_at = now() where id = ${this.identity.id}`;
    } catch (e) {
      console.error("[worker] could not record the stop", e);
    } finally {
      await this.sql.end({ timeout: 5 });
    }
  }
}
