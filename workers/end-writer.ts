import { isTransientDbError } from "@/lib/jobs/errors";
import type { SettleInput } from "@/lib/jobs/settle";

export type EndWriterOptions = {
  /** A write goes as soon as this many ends wait… */
  maxBatch: number;
  /** …or this long after the first of them. */
  delayMs: number;
  /** After a failed write the next waits this long, doubling per failure in a row (with jitter)… */
  retryBaseMs: number;
  /** …up to this long, so ends go out within this long of the database coming back. */
  retryMaxMs: number;
  /** An end the database refuses (its data, not a lost connection) is tried this often, then left to recovery. */
  maxRefusals: number;
  /** With this many ends unwritten, the runner waits for room before it takes more work. */
  maxWaiting: number;
};

type Entry = { end: SettleInput; refusals: number };

/** The most ends one statement carries, however many wait (after an outage, thousands may). */
const MAX_WRITE = 1000;

/** Full backoff before the `failures`-th retry in a row: exponential, capped, with equal jitter. */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Writes attempt ends in the background, many per statement, one write at a time. The worker's
 * fetch → claim → run → complete loop never waits for them: on this 2-core machine the loop's
 * latency, not the database's work, bounds throughput. Meanwhile pg-boss's job output carries each
 * outcome, and recovery finishes the write from there if the process dies first (lib/jobs/worker/recovery).
 *
 * An end is written eventually while the worker lives: a write that fails for want of the database
 * is retried, whole, with capped exponential backoff until it lands; one the database refuses is
 * split so each end is tried alone, and an end refused `maxRefusals` times is left to recovery.
 * Until an end is written its run still counts as held (heldRunIds), so the heartbeat keeps it.
 */
export class EndWriter {
  private waiting: Entry[] = [];
  private writing: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** Failed writes in a row; while > 0, the next write waits until retryAt. */
  private failures = 0;
  private retryAt = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly write: (ends: SettleInput[]) => Promise<unknown>,
    private readonly options: EndWriterOptions,
  ) {}

  add(end: SettleInput): void {
    this.waiting.push({ end, refusals: 0 });
    this.schedule();
  }

  /** Runs whose end is not written yet: still this worker's, so the heartbeat keeps them. */
  heldRunIds(): string[] {
    return [...this.waiting, ...this.writing].map((entry) => entry.end.runId);
  }

  /** Ends not written yet. */
  get size(): number {
    return this.waiting.length + this.writing.length;
  }

  /** Resolves once fewer than maxWaiting ends are unwritten (at once, usually). */
  room(): Promise<void> {
    if (this.size < this.options.maxWaiting) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Write every waiting end now (the worker stops), retrying as usual but only until `deadline`
   * (epoch ms). Returns how many ends are left unwritten: recovery finishes those from pg-boss's
   * job output.
   */
  async flush(deadline: number): Promise<number> {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (this.inFlight) await Promise.race([this.inFlight, sleep(left)]);
      else if (this.waiting.length === 0) break;
      else if (this.retryAt > Date.now()) await sleep(Math.min(this.retryAt - Date.now(), left));
      else this.start();
    }
    this.clearTimer();
    return this.size;
  }

  stop(): void {
    this.clearTimer();
    // Nobody takes more work now: let anyone waiting for room go.
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  private schedule(): void {
    // A write under way schedules the next one when it ends.
    if (this.inFlight || this.waiting.length === 0) return;
    // After a failed write, nothing goes before its backoff is over.
    if (this.failures > 0) this.timer ??= setTimeout(() => this.start(), Math.max(0, this.retryAt - Date.now()));
    else if (this.waiting.length >= this.options.maxBatch) this.start();
    else this.timer ??= setTimeout(() => this.start(), this.options.delayMs);
  }

  private start(): void {
    if (this.inFlight) return;
    this.clearTimer();
    this.inFlight = this.writeWaiting().finally(() => {
      this.inFlight = null;
      this.wakeRoomWaiters();
      this.schedule();
    });
  }

  private async writeWaiting(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_WRITE);
    if (batch.length === 0) return;
    this.writing = batch;
    try {
      await this.writeBatch(batch);
    } finally {
      this.writing = [];
    }
  }

  private async writeBatch(batch: Entry[]): Promise<void> {
    try {
      await this.write(batch.map((entry) => entry.end));
      this.succeeded();
      return;
    } catch (error) {
      if (batch.length === 1 || isTransientDbError(error)) return this.failed(batch, error);
    }
    // The database refused the batch: each end alone, so one it refuses cannot hold back the others.
    for (const [i, entry] of batch.entries()) {
      try {
        await this.write([entry.end]);
        this.succeeded();
      } catch (error) {
        // The connection went meanwhile: the rest of the batch waits for it too.
        if (isTransientDbError(error)) return this.failed(batch.slice(i), error);
        this.failed([entry], error);
      }
    }
  }

  private succeeded(): void {
    if (this.failures > 0) console.log(`[worker] run ends are being written again after ${this.failures} failed write(s)`);
    this.failures = 0;
    this.retryAt = 0;
  }

  /** Put `entries` back at the head of the queue, to go after a backoff (or give up on a refused one). */
  private failed(entries: Entry[], error: unknown): void {
    const transient = isTransientDbError(error);
    const kept = transient ? entries : entries.filter((entry) => ++entry.refusals < this.options.maxRefusals);
    this.waiting.unshift(...kept);
    this.failures++;
    const delay = retryDelayMs(this.failures, this.options.retryBaseMs, this.options.retryMaxMs);
    this.retryAt = Date.now() + delay;
    for (const entry of entries.filter((e) => !kept.includes(e))) {
      console.error(`[worker] the database refused the end of run ${entry.end.runId} ${this.options.maxRefusals} times; the stale-run sweep will finish it from pg-boss's job output`, error);
    }
    if (kept.length > 0) {
      const why = transient ? "the database is unreachable" : "the database refused it";
      // The whole error once per outage; a line per retry after that.
      if (this.failures === 1) console.error(`[worker] ${kept.length} run end(s) not written (${why}); retrying in ${delay} ms until written`, error);
      else console.error(`[worker] ${kept.length} run end(s) still not written (${why}: ${error instanceof Error ? error.message : String(error)}); retry ${this.failures} in ${delay} ms`);
    }
  }

  private wakeRoomWaiters(): void {
    if (this.size >= this.options.maxWaiting) return;
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
