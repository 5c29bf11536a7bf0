import { envNumber } from "@/lib/config";

/**
 * Per-key token buckets in process memory: Runboard runs one web process, so one map is the
 * whole truth. A bucket holds `burst` tokens and refills `perSecond` tokens a second.
 */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

type Bucket = { tokens: number; at: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, now = Date.now()): RateDecision {
    const previous = this.buckets.get(key);
    const tokens = previous ? Math.min(this.burst, previous.tokens + ((now - previous.at) / 1000) * this.perSecond) : this.burst;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perSecond)) };
    }
    // Bounded memory: forget the oldest buckets (a forgotten key simply starts full again).
    if (!previous && this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { allowed: true, remaining: Math.floor(tokens - 1) };
  }
}

const globalForLimits = globalThis as unknown as { runboardApiBuckets?: TokenBuckets };

/** The web process's buckets: RUNBOARD_API_BURST requests at once, RUNBOARD_API_RATE a second after. */
export function apiRateLimiter(): TokenBuckets {
  globalForLimits.runboardApiBuckets ??= new TokenBuckets(envNumber("RUNBOARD_API_BURST", 60), envNumber("RUNBOARD_API_RATE", 2));
  return globalForLimits.runboardApiBuckets;
}
