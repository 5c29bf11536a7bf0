import { envNumber } from "@/lib/config";
import { consumeAll, limitKey, refund, type Limit } from "./throttle";

/**
 * Limits on guessing: each names how many failed attempts a bucket takes at once, refilling over
 * the window (so after the burst, one more every window / limit). Read per call so tests and
 * operators can set them through the environment.
 */
const minutes = (name: string, fallback: number) => envNumber(name, fallback) * 60_000;

export const ATTEMPT_LIMITS = {
  /** Wrong passwords for one account, from anywhere. */
  signInAccount: (): Limit => ({ limit: envNumber("SIGN_IN_LIMIT_PER_ACCOUNT", 5), windowMs: minutes("SIGN_IN_WINDOW_MINUTES", 15) }),
  /** Wrong passwords from one client address, over all accounts (an office behind one NAT shares it). */
  signInAddress: (): Limit => ({ limit: envNumber("SIGN_IN_LIMIT_PER_ADDRESS", 30), windowMs: minutes("SIGN_IN_WINDOW_MINUTES", 15) }),
  /** Failed accepts of one invite link. */
  inviteToken: (): Limit => ({ limit: 5, windowMs: 15 * 60_000 }),
  /** Failed invite accepts from one client address. */
  inviteAddress: (): Limit => ({ limit: 20, windowMs: 15 * 60_000 }),
  /** Password-reset emails for one account (each request counts: each sends mail). */
  resetAccount: (): Limit => ({ limit: 3, windowMs: 60 * 60_000 }),
  /** Password-reset requests and reset-token redemptions from one client address. */
  resetAddress: (): Limit => ({ limit: 10, windowMs: 60 * 60_000 }),
};

export type Bucket = { key: string; rule: Limit };
export const bucket = (scope: string, value: string, rule: Limit): Bucket => ({ key: limitKey(scope, value), rule });

/** What a person sees when a limit holds them back. */
export const tooManyAttemptsMessage = (retryAfterSeconds: number) => `Too many attempts. Try again in ${retryAfterSeconds} s.`;

export type Guarded<T> = { ok: true; value: T } | { ok: false; retryAfterSeconds: number };

/**
 * Run a guessable check (a password, a token) under rate limits. A token is reserved in every
 * bucket before the check runs, so parallel guesses cannot overrun a limit; when the check
 * succeeds its own tokens are given back, so only failures count. A success returns exactly what
 * that attempt took: failures before it stay counted (no reset an attacker could trigger with an
 * account of their own). A check that throws keeps its tokens.
 */
export async function guardedAttempt<T>(buckets: readonly Bucket[], check: () => Promise<T>, succeeded: (value: T) => boolean): Promise<Guarded<T>> {
  const decision = await consumeAll(buckets);
  if (!decision.ok) return { ok: false, retryAfterSeconds: decision.retryAfterSeconds };
  const value = await check();
  if (succeeded(value)) await Promise.all(buckets.map((b) => refund(b.key, b.rule)));
  return { ok: true, value };
}

/** The buckets of a password-reset request: the account (lower-cased email) and the client address. */
export function resetBuckets(email: string, address: string): Bucket[] {
  return [bucket("reset-address", address, ATTEMPT_LIMITS.resetAddress()), bucket("reset-account", email.trim().toLowerCase(), ATTEMPT_LIMITS.resetAccount())];
}

/** The buckets of a password sign-in: the account (by its lower-cased email) and the client address. */
export function signInBuckets(email: string, address: string): Bucket[] {
  return [bucket("sign-in-address", address, ATTEMPT_LIMITS.signInAddress()), bucket("sign-in-account", email.trim().toLowerCase(), ATTEMPT_LIMITS.signInAccount())];
}
