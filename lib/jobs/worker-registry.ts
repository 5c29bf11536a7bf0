import { clientOf, type DbOrTx } from "@/lib/db/client";
import type { WorkerReportedState } from "@/lib/db/schema";
import { LIVENESS_PINGS_PER_HEARTBEAT, LOST_AFTER_HEARTBEATS } from "./liveness";

/**
 * What the Workers page says a worker is doing: what it reported (live, quiet, stopping), unless
 * it stopped (gracefully: its last report was "stopping") or is lost (it stopped answering, or was
 * found dead by a successor on its host).
 */
export type WorkerState = WorkerReportedState | "stopped" | "lost";

export function workerState(row: { state: WorkerReportedState; stopped: boolean; silent: boolean }): WorkerState {
  if (row.stopped) return row.state === "stopping" ? "stopped" : "lost";
  return row.silent ? "lost" : row.state;
}

/** SQL for "this worker row has not pinged for LOST_AFTER_HEARTBEATS of its heartbeats" (alias w), on the database's clock. */
export const SILENT_SQL = `w.last_seen_at < now() - make_interval(secs => w.heartbeat_seconds * ${LOST_AFTER_HEARTBEATS})`;

/** How long a worker may take to act on a command: it reads its row at each ping. */
export function commandLatencySeconds(heartbeatSeconds: number): number {
  return heartbeatSeconds / LIVENESS_PINGS_PER_HEARTBEAT;
}

/**
 * The job types among `jobTypes` that no worker serves now: none that answers, is not quiet, not
 * stopping, not asked to quiet or stop, and lists the type. Runs of those types are accepted and
 * wait. One query through the partial index of workers not stopped.
 */
export async function jobTypesWithoutWorker(db: DbOrTx, jobTypes: readonly string[]): Promise<Set<string>> {
  if (jobTypes.length === 0) return new Set();
  const rows = await clientOf(db).unsafe<{ job_type: string }[]>(
    `select t.job_type from unnest($1::text[]) as t(job_type)
     where not exists (
       select 1 from workers w
       where w.stopped_at is null and w.state = 'live' and w.command is null
         and not (${SILENT_SQL})
         and t.job_type = any(w.job_types))`,
    [[...jobTypes]] as never[],
  );
  return new Set(rows.map((r) => r.job_type));
}

/** The warning a trigger of such a job type carries (page, API `warnings`, CLI). */
export function noWorkerWarning(label: string): string {
  return `No worker is running ${label}; the run will wait`;
}

/** What a trigger of `def` should tell the person or client: empty when a live worker serves it. */
export async function triggerWarnings(db: DbOrTx, def: { name: string; label: string }): Promise<string[]> {
  return (await jobTypesWithoutWorker(db, [def.name])).size > 0 ? [noWorkerWarning(def.label)] : [];
}
