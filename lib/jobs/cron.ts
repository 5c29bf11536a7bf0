import { PgBoss } from "pg-boss";

/** Longest cron text accepted; five fields never need more. */
export const CRON_MAX_LENGTH = 100;

export type CronCheck = { ok: true; cron: string; next: Date } | { ok: false; message: string };

const FIELD = /^[0-9A-Za-z*/,\-?#LW]+$/;

// Never started: previewSchedule is pure cron-parser arithmetic inside pg-boss, so what we accept
// is exactly what pg-boss's cron pass will evaluate. Constructing it opens no connection.
let previewer: PgBoss | null = null;
function preview(): PgBoss {
  previewer ??= new PgBoss({ connectionString: "postgres://preview.invalid/none", schedule: false, supervise: false, migrate: false, createSchema: false, registerInstance: false });
  return previewer;
}

/**
 * A five-field cron expression in UTC (minute hour day-of-month month day-of-week), normalised to
 * single spaces, with its next occurrence. Seconds fields, macros and RRULEs are refused so a
 * schedule fires at most once a minute and reads the same everywhere.
 */
export function checkCron(input: unknown): CronCheck {
  if (typeof input !== "string" || input.trim() === "") return { ok: false, message: "Enter a cron expression, e.g. 0 * * * * (every hour)." };
  if (input.length > CRON_MAX_LENGTH) return { ok: false, message: `A cron expression is at most ${CRON_MAX_LENGTH} characters.` };
  const fields = input.trim().split(/\s+/);
  if (fields.length !== 5) return { ok: false, message: `A cron expression has 5 fields (minute hour day-of-month month day-of-week); this one has ${fields.length}.` };
  if (!fields.every((f) => FIELD.test(f))) return { ok: false, message: "A cron field may hold digits, names (MON, JAN), and * / , - only." };
  const cron = fields.join(" ");
  try {
    const [next] = preview().previewSchedule(cron, { tz: "UTC", count: 1, from: new Date() });
    if (!next) return { ok: false, message: `"${cron}" never fires.` };
    return { ok: true, cron, next };
  } catch (error) {
    return { ok: false, message: `"${cron}" is not a valid cron expression: ${error instanceof Error ? error.message : "unreadable"}.` };
  }
}

/** The next time a stored (already valid) expression fires, or null if it cannot be read. */
export function nextCronRun(cron: string, from = new Date()): Date | null {
  try {
    return preview().previewSchedule(cron, { tz: "UTC", count: 1, from })[0] ?? null;
  } catch {
    return null;
  }
}
