/** The time windows of the error explorer and the insights charts, with their bucket sizes. */
export const RANGES = {
  "24h": { label: "24 hours", hours: 24, bucketHours: 1 },
  "7d": { label: "7 days", hours: 24 * 7, bucketHours: 24 },
} as const;
export type RangeKey = keyof typeof RANGES;

export function parseRange(value: string | undefined): RangeKey {
  return value === "7d" ? "7d" : "24h";
}

/** Bucket start times (ms) of a range ending now, oldest first; the last bucket holds now. */
export function bucketStarts(range: RangeKey, now: number = Date.now()): number[] {
  const size = RANGES[range].bucketHours * 3600_000;
  const last = Math.floor(now / size) * size;
  const count = RANGES[range].hours / RANGES[range].bucketHours;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * size);
}
