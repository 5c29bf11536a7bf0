import { describe, expect, test } from "vitest";
import { failedAttemptFate, MAX_RETRY_DELAY_SECONDS, retryDelaySeconds } from "@/lib/jobs/retry";
import type { RetryPolicy } from "@/lib/jobs/define";

const policy = (delaySeconds: number, backoff: boolean): RetryPolicy => ({ limit: 5, delaySeconds, backoff });
const low = () => 0;
const high = () => 1;

describe("retryDelaySeconds", () => {
  test("a zero (or negative) base delay retries at once, whatever the backoff", () => {
    expect(retryDelaySeconds(policy(0, true), 3, high)).toBe(0);
    expect(retryDelaySeconds(policy(0, false), 1)).toBe(0);
    expect(retryDelaySeconds(policy(-5, true), 2, high)).toBe(0);
  });

  test("without backoff the delay is fixed and ignores the random source", () => {
    for (const attempt of [1, 2, 7]) {
      expect(retryDelaySeconds(policy(5, false), attempt, low)).toBe(5);
      expect(retryDelaySeconds(policy(5, false), attempt, high)).toBe(5);
    }
  });

  test("with backoff the window doubles each attempt, from half to all of base * 2^(attempt-1)", () => {
    const cases: [attempt: number, full: number][] = [[1, 10], [2, 20], [3, 40], [4, 80]];
    for (const [attempt, full] of cases) {
      expect(retryDelaySeconds(policy(10, true), attempt, low)).toBe(full / 2);
      expect(retryDelaySeconds(policy(10, true), attempt, high)).toBe(full);
      expect(retryDelaySeconds(policy(10, true), attempt, () => 0.5)).toBe(full * 0.75);
    }
  });

  test("with the default random source the delay stays inside the jitter window", () => {
    for (let i = 0; i < 50; i++) {
      const d = retryDelaySeconds(policy(8, true), 3);
      expect(d).toBeGreaterThanOrEqual(16);
      expect(d).toBeLessThanOrEqual(32);
    }
  });

  test("is capped at MAX_RETRY_DELAY_SECONDS, even for huge attempt numbers", () => {
    expect(retryDelaySeconds(policy(10, true), 20, high)).toBe(MAX_RETRY_DELAY_SECONDS);
    expect(retryDelaySeconds(policy(10, true), 1_000, low)).toBe(MAX_RETRY_DELAY_SECONDS / 2);
    expect(retryDelaySeconds(policy(7200, false), 1)).toBe(MAX_RETRY_DELAY_SECONDS);
    expect(Number.isFinite(retryDelaySeconds(policy(10, true), 10_000, high))).toBe(true);
  });
});

describe("failedAttemptFate (recovery, and the run page's stale warning)", () => {
  test("a one-shot type fails for good; a type that retries retries until its last attempt, then dead-letters", () => {
    expect(failedAttemptFate(0, 1, 1, true)).toBe("failed");
    expect(failedAttemptFate(2, 1, 3, true)).toBe("retry");
    expect(failedAttemptFate(2, 2, 3, true)).toBe("retry");
    expect(failedAttemptFate(2, 3, 3, true)).toBe("dead_letter");
  });

  test("an error that is not retryable fails the run whatever the policy; an unknown type is never retried", () => {
    expect(failedAttemptFate(2, 1, 3, false)).toBe("failed");
    expect(failedAttemptFate(null, 1, 3, true)).toBe("failed");
  });
});
