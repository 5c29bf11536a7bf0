import { Gauge, Registry } from "prom-client";
import type { InstanceMetrics } from "./instance-gauges";

/**
 * The instance-level gauges in the Prometheus text format. Every web process reads the same
 * database, so each answers the same values: aggregate them with max(), not sum().
 */
export function instanceRegistry(metrics: InstanceMetrics): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const pending = gauge("runboard_queue_pending_runs", "Runs waiting to start (queued or waiting for a retry), per job type; capped at 10000.", ["job_type"]);
  const running = gauge("runboard_queue_running_runs", "Runs running now, per job type; capped at 10000.", ["job_type"]);
  const oldest = gauge("runboard_queue_oldest_pending_age_seconds", "Age of the oldest pending run (since it was queued), per job type; 0 when none is pending.", ["job_type"]);
  for (const q of metrics.queues) {
    pending.set({ job_type: q.jobType }, q.pending);
    running.set({ job_type: q.jobType }, q.running);
    oldest.set({ job_type: q.jobType }, q.oldestPendingSeconds ?? 0);
  }
  gauge("runboard_workers_live", "Worker processes that registered and pinged within 1.5 heartbeats.").set(metrics.liveWorkers);
  return registry;
}
