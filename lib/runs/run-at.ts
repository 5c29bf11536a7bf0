import { z } from "zod";

/** A later run may start at most this far ahead: anything further is a typo, not a plan. */
export const RUN_AT_MAX_DAYS = 365;
/** A time this little in the past is clock skew between client and server: it runs now. */
export const RUN_AT_SKEW_SECONDS = 60;
export const RUN_IN_MAX_MINUTES = RUN_AT_MAX_DAYS * 24 * 60;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Why `at` cannot be a run's start time, or null when it can. `now` is the server's clock. */
export function runAtProblem(at: Date, now = Date.now()): string | null {
  if (Number.isNaN(at.getTime())) return "Not a date and time.";
  if (at.getTime() < now - RUN_AT_SKEW_SECONDS * 1000) return "That time has passed: choose a time in the future, or run it now.";
  if (at.getTime() > now + RUN_AT_MAX_DAYS * DAY_MS) return `A run can be scheduled at most ${RUN_AT_MAX_DAYS} days ahead.`;
  return null;
}

/**
 * `runAt` as the API and the Run form take it: ISO 8601 with an explicit offset (`Z` or `+02:00`),
 * so whose clock it means is never guessed. Null (run now) for a time within the skew.
 */
export const runAtSchema = z
  .string()
  .max(64)
  .pipe(z.iso.datetime({ offset: true, message: "Use an ISO 8601 date and time with its offset, e.g. 2026-12-02T16:30:00Z or 2026-12-02T17:30:00+01:00." }))
  .transform((value, ctx) => {
    const at = new Date(value);
    const problem = runAtProblem(at);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return at.getTime() > Date.now() ? at : null;
  });

/** "In N minutes" of the Run form: a whole number of minutes, within the same bound. */
export const runInMinutesSchema = z.coerce
  .number({ message: "Enter a number of minutes." })
  .int("Enter a whole number of minutes.")
  .min(1, "Enter at least 1 minute, or run it now.")
  .max(RUN_IN_MAX_MINUTES, `A run can be scheduled at most ${RUN_AT_MAX_DAYS} days ahead.`)
  .transform((minutes) => new Date(Date.now() + minutes * 60_000));

/** A run waiting for its first start at a later time (pending, no attempt yet, not yet due). */
export function scheduledFor(run: { status: string; attempts: number; runAt: Date }, now = Date.now()): string | null {
  return run.status === "pending" && run.attempts === 0 && run.runAt.getTime() > now ? run.runAt.toISOString() : null;
}
