import { describe, expect, test } from "vitest";
import { TokenBuckets } from "@/lib/api/rate-limit";

describe("TokenBuckets", () => {
  test("allows a burst, then refuses with the seconds until the next token", () => {
    const buckets = new TokenBuckets(3, 0.5);
    const t = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take("k", t).allowed)).toEqual([true, true, true]);
    expect(buckets.take("k", t)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    // Half a token a second: after 2 s one more request fits, then it is empty again.
    expect(buckets.take("k", t + 2000).allowed).toBe(true);
    expect(buckets.take("k", t + 2000).allowed).toBe(false);
  });

  test("keys are independent and refill never exceeds the burst", () => {
    const buckets = new TokenBuckets(2, 1);
    buckets.take("a", 0);
    buckets.take("a", 0);
    expect(buckets.take("a", 0).allowed).toBe(false);
    expect(buckets.take("b", 0).allowed).toBe(true);
    expect(buckets.take("a", 60_000)).toEqual({ allowed: true, remaining: 1 });
  });

  test("memory stays bounded: the oldest key is forgotten", () => {
    const buckets = new TokenBuckets(1, 0.001, 2);
    buckets.take("a", 0);
    buckets.take("b", 0);
    buckets.take("c", 0);
    // "a" was forgotten, so it starts full again; "c" is still empty.
    expect(buckets.take("a", 0).allowed).toBe(true);
    expect(buckets.take("c", 0).allowed).toBe(false);
  });
});
