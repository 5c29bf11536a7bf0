/** `--in` of `runboard jobs run`: a positive duration such as 90s, 30m, 2h or 1d, at most 365 days. */
export const MAX_DELAY_MS = 365 * 24 * 60 * 60 * 1000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds, or the reason the text is not a duration this CLI takes. */
export function parseDelay(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (!match) return { ok: false, message: `--in takes a duration like 90s, 30m, 2h or 1d, got "${text.slice(0, 40)}".` };
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms <= 0) return { ok: false, message: "--in must be more than 0: leave it out to run now." };
  if (ms > MAX_DELAY_MS) return { ok: false, message: "--in can be at most 365 days (365d)." };
  return { ok: true, ms };
}
