/**
 * When a worker instance counts as lost, shared by the sweep (lib/jobs/worker/recovery), the worker's
 * ping (workers/liveness) and the run page. A worker pings its `workers` row this many times per
 * heartbeat interval…
 */
export const LIVENESS_PINGS_PER_HEARTBEAT = 2;
/** …and counts as lost once the row is this many of its heartbeat intervals old (3 missed pings). */
export const LOST_AFTER_HEARTBEATS = 1.5;

export function instanceLost(instance: { lastSeenAt: Date; heartbeatSeconds: number; stoppedAt: Date | null }, now: number): boolean {
  return instance.stoppedAt !== null || now - instance.lastSeenAt.getTime() > instance.heartbeatSeconds * LOST_AFTER_HEARTBEATS * 1000;
}
