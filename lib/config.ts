/** Numeric settings from the environment, with defaults; invalid values fail loudly at start. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/** A running run without a heartbeat for this long has lost its worker (the sweep fails it; the run page warns). */
export const DEFAULT_STALE_AFTER_SECONDS = 120;

export function staleAfterSeconds(): number {
  return envNumber("STALE_AFTER_SECONDS", DEFAULT_STALE_AFTER_SECONDS);
}
