import { afterEach, describe, expect, test, vi } from "vitest";
import type { SettleInput } from "@/lib/jobs/settle";
import { EndWriter } from "@/workers/end-writer";

const end = (runId: string): SettleInput => ({ runId, jobType: "demo_paced", attempt: 1, outcome: { status: "completed", result: {} }, durationMs: 1, notify: false });

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
    const writer = new EndWriter(write, { maxBatch: 64, delayMs: 20, retryAfterMs: 1000 });
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
    const writer = new EndWriter(write, { maxBatch: 2, delayMs: 20, retryAfterMs: 1000 });
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
    const writer = new EndWriter(write, { maxBatch: 1, delayMs: 10_000, retryAfterMs: 1000 });
    writer.add(end("a"));
    writer.add(end("b"));
    let flushed = false;
    const flushing = writer.flush().then(() => (flushed = true));
    calls[0]!.settle();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(flushed).toBe(false);
    calls[1]!.settle();
    await flushing;
    expect(calls.map((c) => c.ids)).toEqual([["a"], ["b"]]);
    expect(writer.heldRunIds()).toEqual([]);
  });

  test("a failed write retries each of its ends alone, later, and keeps them held until then", async () => {
    vi.useFakeTimers();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { calls, write } = recordingWrite();
    const writer = new EndWriter(write, { maxBatch: 2, delayMs: 20, retryAfterMs: 1000 });
    writer.add(end("a"));
    writer.add(end("b"));
    calls[0]!.settle(new Error("refused"));
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.heldRunIds().sort()).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.slice(1).map((c) => c.ids)).toEqual([["a"], ["b"]]);
    calls[1]!.settle();
    calls[2]!.settle(new Error("refused again"));
    await vi.advanceTimersByTimeAsync(0);
    // After its one retry an end is left to the stale-run sweep (pg-boss's job output has it).
    expect(writer.heldRunIds()).toEqual([]);
    expect(calls).toHaveLength(3);
  });
});
