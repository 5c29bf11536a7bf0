import type { PgBoss } from "pg-boss";
import type { Db } from "@/lib/db/client";
import type { StartedAttempt } from "@/lib/jobs/lifecycle";
import { loadControls } from "@/lib/jobs/queue-controls";
import { claimUnderControls, jobTypesWithHeldRuns, releaseHeldRuns } from "@/lib/jobs/worker/queue-gate";

/** How often a worker re-reads the controls and releases held runs: a pause takes hold within it. */
export const QUEUE_CONTROLS_REFRESH_MS = 1000;

/**
 * A worker's view of the pause and concurrency controls (lib/jobs/worker/queue-gate.ts). It keeps
 * the set of job types that have a control in force, re-read every second, so a claim of any
 * other type takes the plain path at the cost of a set lookup; claims of controlled types go
 * through the gate, which reads the controls themselves in the database. Each tick (and soon
 * after this worker ends a run of a limited type) it also releases held runs that may start now.
 */
export class QueueControls {
  private controlled = new Set<string>();
  private limited = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private kick: NodeJS.Timeout | null = null;
  private failing = false;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly jobTypes: readonly string[],
    private readonly refreshMs = QUEUE_CONTROLS_REFRESH_MS,
  ) {}

  /** First read before the worker claims anything, so a paused type is never claimed at start. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.kick) clearTimeout(this.kick);
    this.timer = this.kick = null;
    await this.ticking;
  }

  /** Whether claims of this job type go through the gate. */
  governs(jobType: string): boolean {
    return this.controlled.has(jobType);
  }

  claim(jobType: string, deliveries: { runId: string; bossJobId: string }[], workerId: string): Promise<(StartedAttempt | null)[]> {
    return claimUnderControls(this.db, jobType, deliveries, workerId);
  }

  /** Runs of these types ended here: a slot may have freed for a held run, so release soon. */
  ended(jobTypes: Iterable<string>): void {
    if (this.kick || !this.timer) return;
    for (const jobType of jobTypes) {
      if (!this.limited.has(jobType)) continue;
      this.kick = setTimeout(() => {
        this.kick = null;
        void this.tick();
      }, 20);
      this.kick.unref();
      return;
    }
  }

  /** One refresh at a time; one asked for meanwhile (a kick) runs right after it. */
  private tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        try {
          await this.refresh();
          this.failing = false;
        } catch (error) {
          // Keeps the last controls it read; logged once per streak (the tick runs every second).
          if (!this.failing) console.error("[worker] queue controls refresh failed (logged once until it works again)", error);
          this.failing = true;
        }
      } while (this.again && this.timer);
    })().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async refresh(): Promise<void> {
    const controls = await loadControls(this.db);
    this.controlled = new Set(controls.map((c) => c.jobType));
    this.limited = new Set(controls.filter((c) => c.concurrencyLimit !== null).map((c) => c.jobType));
    for (const jobType of await jobTypesWithHeldRuns(this.db, this.jobTypes)) await releaseHeldRuns(this.db, this.boss, jobType);
  }
}
