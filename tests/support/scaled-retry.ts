import type * as Retry from "@/lib/jobs/retry";
import type { RetryPolicy } from "@/lib/jobs/define";

export type RecordedDelay = { policy: RetryPolicy; attempt: number; seconds: number };

/**
 * For vi.mock of "@/lib/jobs/retry": the real backoff is computed and recorded, and the wait is
 * divided by `speedup` so several attempts fit in a test. Everything else runs for real.
 */
export function scaleRetryDelays(real: typeof Retry, recorded: RecordedDelay[], speedup: number): typeof Retry {
  return {
    ...real,
    retryDelaySeconds: (policy, attempt, random) => {
      const seconds = real.retryDelaySeconds(policy, attempt, random);
      recorded.push({ policy, attempt, seconds });
      return seconds / speedup;
    },
  };
}
