import type { RetryPolicy } from "./define";

/** Longest wait between attempts, whatever the backoff says. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * Seconds to wait before the attempt after `attempt` (1-based) failed: exponential when the
 * policy backs off, with "equal jitter" (half fixed, half random) so retries of many runs spread.
 */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.max(0, policy.delaySeconds);
  if (base === 0) return 0;
  const raw = policy.backoff ? base * 2 ** Math.min(16, attempt - 1) : base;
  const capped = Math.min(MAX_RETRY_DELAY_SECONDS, raw);
  return policy.backoff ? capped / 2 + (capped / 2) * random() : capped;
}

/** What a failed attempt leads to: another attempt, the dead letter, or failure for good. */
export type FailedAttemptFate = "retry" | "dead_letter" | "failed";

/**
 * `retryLimit` is the job type's (null: a type this build does not know). After the last attempt a
 * type that retries dead-letters the run; a one-shot type just fails it.
 */
export function failedAttemptFate(retryLimit: number | null, attempt: number, maxAttempts: number, retryable: boolean): FailedAttemptFate {
  if (!retryable) return "failed";
  if (retryLimit === null || attempt >= maxAttempts) return retryLimit !== null && retryLimit > 0 ? "dead_letter" : "failed";
  return "retry";
}
