import type { SettleInput } from "@/lib/jobs/settle";

export type EndWriterOptions = {
  /** A write goes as soon as this many ends wait… */
  maxBatch: number;
  /** …or this long after the first of them. */
  delayMs: number;
  /** A failed write's ends are each tried once more, alone, after this long. */
  retryAfterMs: number;
};

/**
 * Writes plain ends (see isPlainEnd) in the background, many per statement, one write at a time.
 * The worker's fetch → claim → run → complete loop never waits for them: on this 2-core machine
 * the loop's latency, not the database's work, bounds throughput (an end written inside the next
 * claim, or once per batch, measured slower than this). Meanwhile pg-boss's job output carries
 * each outcome, and recovery finishes the write from there if the process dies first
 * (lib/jobs/recovery). Until an end is written its run still counts as held (heldRunIds).
 */
export class EndWriter {
  private waiting: SettleInput[] = [];
  private writing: SettleInput[] = [];
  private readonly retrying = new Set<SettleInput>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly write: (ends: SettleInput[]) => Promise<unknown>,
    private readonly options: EndWriterOptions,
  ) {}

  add(end: SettleInput): void {
    this.waiting.push(end);
    this.schedule();
  }

  /** Runs whose end is not written yet: still this worker's, so the heartbeat keeps them. */
  heldRunIds(): string[] {
    return [...this.waiting, ...this.writing, ...this.retrying].map((end) => end.runId);
  }

  /** Write every waiting end now (the worker stops), after any write already under way. */
  async flush(): Promise<void> {
    while (this.inFlight || this.waiting.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.start();
    }
    this.clearTimer();
  }

  stop(): void {
    this.clearTimer();
  }

  private schedule(): void {
    // A write under way schedules the next one when it ends.
    if (this.inFlight || this.waiting.length === 0) return;
    if (this.waiting.length >= this.options.maxBatch) this.start();
    else this.timer ??= setTimeout(() => this.start(), this.options.delayMs);
  }

  private start(): void {
    if (this.inFlight) return;
    this.clearTimer();
    this.inFlight = this.writeWaiting().finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }

  private async writeWaiting(): Promise<void> {
    const ends = this.waiting;
    this.waiting = [];
    if (ends.length === 0) return;
    this.writing = ends;
    try {
      await this.write(ends);
    } catch (error) {
      console.error(`[worker] ${ends.length} run end(s) could not be written; retrying each alone`, error);
      for (const end of ends) this.retryAlone(end);
    } finally {
      this.writing = [];
    }
  }

  /**
   * One more try, alone, so an end the database refuses cannot hold back the others. After that
   * the stale-run sweep finishes it from pg-boss's job output.
   */
  private retryAlone(end: SettleInput): void {
    this.retrying.add(end);
    setTimeout(() => {
      void this.write([end])
        .catch((error) => console.error(`[worker] the end of run ${end.runId} could not be written; the stale-run sweep will finish it`, error))
        .finally(() => this.retrying.delete(end));
    }, this.options.retryAfterMs).unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
