import { envNumber } from "@/lib/config";
import { limitKey, type Limit } from "@/lib/security/throttle";

/**
 * Each API key's bucket, kept in Postgres with the sign-in limits (lib/security/throttle.ts) so
 * it holds across web processes: RUNBOARD_API_BURST requests at once, then RUNBOARD_API_RATE a
 * second.
 */
export function apiKeyLimit(): Limit {
  const burst = Math.max(1, envNumber("RUNBOARD_API_BURST", 60));
  const perSecond = Math.max(0.001, envNumber("RUNBOARD_API_RATE", 2));
  return { limit: burst, windowMs: (burst / perSecond) * 1000 };
}

export const apiKeyBucket = (keyId: string) => limitKey("api-key", keyId);
