/**
 * Coalesce calls that arrive close together into one flush, so per-job bookkeeping costs one
 * statement per burst instead of one per job. A lone call waits at most `delayMs`.
 */
export class MicroBatcher<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly flushFn: (items: I[]) => Promise<O[]>,
    private readonly options: { maxSize: number; delayMs: number },
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // delayMs 0: flush once the current burst of callbacks has run (same event-loop turn).
        if (this.options.delayMs === 0) setImmediate(() => void this.flush());
        else setTimeout(() => void this.flush(), this.options.delayMs);
      }
    });
  }

  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      const out = await this.flushFn(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i] as O));
    } catch (error) {
      batch.forEach((b) => b.reject(error));
    }
  }
}
