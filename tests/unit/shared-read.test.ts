/**
 * The shared read behind the run poll and the Queues counts: concurrent and recent callers of one
 * key get one load, failures are not kept, keys never see each other's values, memory is bounded.
 */
import { describe, expect, test, vi } from "vitest";

vi.mock("server-only", () => ({}));
const { createSharedReads } = await import("@/lib/dal/shared-read");

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("shared reads", () => {
  test("concurrent callers of one key share a single load in flight", async () => {
    const reads = createSharedReads({ maxEntries: 100 });
    const gate = deferred<number>();
    const load = vi.fn(() => gate.promise);
    const callers = Array.from({ length: 500 }, () => reads.read("run:a", 1_000, load));
    gate.resolve(42);
    expect(await Promise.all(callers)).toEqual(Array(500).fill(42));
    expect(load).toHaveBeenCalledTimes(1);
  });

  test("a result is reused for its TTL, then read again", async () => {
    const c = clock();
    const reads = createSharedReads({ maxEntries: 100, now: c.now });
    let n = 0;
    const load = vi.fn(async () => ++n);
    expect(await reads.read("k", 1_000, load)).toBe(1);
    c.advance(999);
    expect(await reads.read("k", 1_000, load)).toBe(1);
    c.advance(1);
    expect(await reads.read("k", 1_000, load)).toBe(2);
    expect(load).toHaveBeenCalledTimes(2);
  });

  test("forget drops the keys under a prefix only: a control change shows on the next read of its scope", async () => {
    const reads = createSharedReads({ maxEntries: 100 });
    let n = 0;
    const load = vi.fn(async () => ++n);
    expect(await reads.read("queues:p1:a,b", 60_000, load)).toBe(1);
    expect(await reads.read("queues:p2:a,b", 60_000, load)).toBe(2);
    reads.forget("queues:p1:");
    expect(await reads.read("queues:p1:a,b", 60_000, load)).toBe(3);
    expect(await reads.read("queues:p2:a,b", 60_000, load)).toBe(2);
    reads.forget("queues:");
    expect(reads.size()).toBe(0);
  });

  test("the TTL counts from when the load settled, not when it started", async () => {
    const c = clock();
    const reads = createSharedReads({ maxEntries: 100, now: c.now });
    const gate = deferred<string>();
    const load = vi.fn(() => gate.promise);
    const first = reads.read("k", 1_000, load);
    c.advance(5_000); // a slow read: still in flight, so still shared
    const second = reads.read("k", 1_000, load);
    gate.resolve("v");
    expect([await first, await second]).toEqual(["v", "v"]);
    c.advance(999);
    expect(await reads.read("k", 1_000, load)).toBe("v");
    expect(load).toHaveBeenCalledTimes(1);
  });

  test("errors reach every waiting caller and are not cached", async () => {
    const reads = createSharedReads({ maxEntries: 100 });
    const gate = deferred<number>();
    const failing = vi.fn(() => gate.promise);
    const a = reads.read("k", 60_000, failing);
    const b = reads.read("k", 60_000, failing);
    gate.reject(new Error("database unreachable"));
    await expect(a).rejects.toThrow("database unreachable");
    await expect(b).rejects.toThrow("database unreachable");
    expect(reads.size()).toBe(0);
    const ok = vi.fn(async () => 7);
    expect(await reads.read("k", 60_000, ok)).toBe(7);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(ok).toHaveBeenCalledTimes(1);
  });

  test("a loader that throws synchronously is an error like any other", async () => {
    const reads = createSharedReads({ maxEntries: 100 });
    await expect(
      reads.read("k", 1_000, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(reads.size()).toBe(0);
  });

  test("keys never share values (one run's redacted view is not another's, nor the unredacted one)", async () => {
    const reads = createSharedReads({ maxEntries: 100 });
    const keys = ["run:a:redacted", "run:a:unredacted", "run:b:redacted", "run:a:redacted:", "run:A:redacted"];
    const values = await Promise.all(keys.map((k) => reads.read(k, 60_000, async () => ({ key: k }))));
    expect(values.map((v) => v.key)).toEqual(keys);
    // Read again: each key still answers its own value.
    for (const k of keys) expect((await reads.read(k, 60_000, async () => ({ key: "reloaded" }))).key).toBe(k);
  });

  test("memory is bounded: the oldest entries go first, in flight or not", async () => {
    const reads = createSharedReads({ maxEntries: 3 });
    for (const k of ["a", "b", "c", "d", "e"]) await reads.read(k, 60_000, async () => k);
    expect(reads.size()).toBe(3);
    const reload = vi.fn(async () => "new");
    expect(await reads.read("a", 60_000, reload)).toBe("new");
    expect(await reads.read("e", 60_000, reload)).toBe("e");
    expect(reload).toHaveBeenCalledTimes(1);
    // An evicted load in flight still answers its callers, and its settling does not re-add it.
    const gate = deferred<string>();
    const pending = reads.read("slow", 60_000, () => gate.promise);
    for (const k of ["x", "y", "z"]) await reads.read(k, 60_000, async () => k);
    gate.resolve("slow");
    expect(await pending).toBe("slow");
    expect(reads.size()).toBe(3);
  });
});
