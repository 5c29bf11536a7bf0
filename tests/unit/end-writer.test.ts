import { afterEach, describe, expect, test, vi } from "vitest";
import type { SettleInput } from "@/lib/jobs/settle";
import { EndWriter, retryDelayMs, type EndWriterOptions } from "@/workers/end-writer";

const end = (runId: string): SettleInput => ({ runId, jobType: "demo_paced", attempt: 1, outcome: { status: "completed", result: {} }, durationMs: 1, notify: false });

const options = (overrides: Partial<EndWriterOptions> = {}): EndWriterOptions => ({
  maxBatch: 64,
  delayMs: 20,
  retryBaseMs: 100,
  retryMaxMs: 1000,
  maxRefusals: 3,
  maxWaiting: 1000,
  ...overrides,
});

/** What postgres.js throws when the server closed the connection under a query. */
const connectionLost = () => Object.assign(new Error("write CONNECTION_CLOSED localhost:5432"), { code: "CONNECTION_CLOSED" });
/** What Postgres answers to data it will not store. */
const refused = () => Object.assign(new Error("unsupported Unicode escape sequence"), { name: "PostgresError", code: "22P05", routine: "json_lex" });

/** A write function that records each call and resolves only when the test says so. */
function recordingWrite() {
  const calls: { ids: string[]; settle: (error?: Error) => void }[] = [];
  const write = (ends: SettleInput[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ ids: ends.map((e) => e.runId), settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, write };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("EndWriter", () => {
  test("waits delayMs after the first end, then writes all waiting ends in one call", async () => {
    vi.useFakeTimers();
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options());
    writer.add(end("a"));
    await vi.advanceTimersByTimeAsync(10);
    writer.add(end("b"));
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.map((c) => c.ids)).toEqual([["a", "b"]]);
  });

  test("writes at once when maxBatch ends wait, and never two writes at a time", async () => {
    vi.useFakeTimers();
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options({ maxBatch: 2 }));
    writer.add(end("a"));
    writer.add(end("b"));
    expect(calls.map((c) => c.ids)).toEqual([["a", "b"]]);
    writer.add(end("c"));
    writer.add(end("d"));
    writer.add(end("e"));
    await vi.advanceTimersByTimeAsync(100);
    // The first write is still under way: the rest wait for it, whatever their number or age.
    expect(calls).toHaveLength(1);
    expect(writer.heldRunIds().sort()).toEqual(["a", "b", "c", "d", "e"]);
    calls[0]!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.ids)).toEqual([["a", "b"], ["c", "d", "e"]]);
  });

  test("flush writes what waits after the write under way, and returns when all are written", async () => {
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options({ maxBatch: 1, delayMs: 10_000 }));
    writer.add(end("a"));
    writer.add(end("b"));
    let flushed: number | null = null;
    const flushing = writer.flush(Date.now() + 10_000).then((left) => (flushed = left));
    calls[0]!.settle();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(flushed).toBeNull();
    calls[1]!.settle();
    await flushing;
    expect(flushed).toBe(0);
    expect(calls.map((c) => c.ids)).toEqual([["a"], ["b"]]);
    expect(writer.heldRunIds()).toEqual([]);
  });

  test("while the database is unreachable, a write is retried whole with growing backoff until it lands, its runs held meanwhile", async () => {
    vi.useFakeTimers();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(Math, "random").mockReturnValue(1);
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options({ maxBatch: 2 }));
    writer.add(end("a"));
    writer.add(end("b"));
    const times: number[] = [];
    // Ten failures in a row: far more than any fixed number of retries would allow.
    for (let i = 0; i < 10; i++) {
      times.push(Date.now());
      calls.at(-1)!.settle(connectionLost());
      await vi.advanceTimersByTimeAsync(0);
      expect(writer.heldRunIds().sort()).toEqual(["a", "b"]);
      while (calls.length < i + 2) await vi.advanceTimersByTimeAsync(50);
    }
    // Doubling from 100 ms, capped at 1 s.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 4)).toEqual([100, 200, 400, 800]);
    expect(gaps.slice(4).every((g) => g === 1000)).toBe(true);
    // Meanwhile another run ended: it goes with the next write.
    writer.add(end("c"));
    await vi.advanceTimersByTimeAsync(1000);
    calls.at(-1)!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.every((c) => c.ids.includes("a") && c.ids.includes("b"))).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls.at(-1)!.ids).toContain("c");
    calls.at(-1)!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.heldRunIds()).toEqual([]);
  });

  test("an end the database refuses is tried alone, so the others of its batch are written; after maxRefusals it is left to recovery", async () => {
    vi.useFakeTimers();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options({ maxBatch: 2 }));
    writer.add(end("a"));
    writer.add(end("bad"));
    calls[0]!.settle(refused());
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.at(-1)!.ids).toEqual(["a"]);
    calls.at(-1)!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.at(-1)!.ids).toEqual(["bad"]);
    calls.at(-1)!.settle(refused());
    for (let i = 0; i < 2; i++) {
      while (calls.length < 4 + i) await vi.advanceTimersByTimeAsync(50);
      calls.at(-1)!.settle(refused());
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.map((c) => c.ids)).toEqual([["a", "bad"], ["a"], ["bad"], ["bad"], ["bad"]]);
    expect(writer.heldRunIds()).toEqual([]);
  });

  test("with maxWaiting ends unwritten, room() waits until a write lands", async () => {
    vi.useFakeTimers();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, options({ maxBatch: 1, maxWaiting: 2 }));
    writer.add(end("a"));
    await writer.room();
    writer.add(end("b"));
    let roomy = false;
    void writer.room().then(() => (roomy = true));
    calls[0]!.settle(connectionLost());
    await vi.advanceTimersByTimeAsync(500);
    expect(roomy).toBe(false);
    calls.at(-1)!.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(roomy).toBe(true);
  });

  test("flush gives up at its deadline while the database is away, and says how many ends are left", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const writer = new EndWriter(() => Promise.reject(connectionLost()), options({ retryBaseMs: 20, retryMaxMs: 50 }));
    writer.add(end("a"));
    writer.add(end("b"));
    const started = Date.now();
    expect(await writer.flush(Date.now() + 300)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    writer.stop();
  });

  test("retry delays double from the base, stop at the cap, and keep at least half their value", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect([1, 2, 3, 4, 5, 50].map((n) => retryDelayMs(n, 100, 1000))).toEqual([50, 100, 200, 400, 500, 500]);
  });
});
