import { formatDuration as formatKnownDuration } from "@/lib/format";

/** A duration, or a dash while there is none yet. */
export function formatDuration(ms: number | null): string {
  return ms === null ? "—" : formatKnownDuration(ms);
}

/** Absolute time in UTC, stable between server and browser renders. */
export function formatTimestamp(iso: string | null): string {
  if (!iso) return "—";
  return iso.replace("T", " ").slice(0, 19) + " UTC";
}

export function formatRelative(iso: string, now: number = Date.now()): string {
  const diff = Math.round((now - new Date(iso).getTime()) / 1000);
  const abs = Math.abs(diff);
  const unit = abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.floor(abs / 60)}m` : abs < 86400 ? `${Math.floor(abs / 3600)}h` : `${Math.floor(abs / 86400)}d`;
  return diff >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** A chart bucket's label: the hour (UTC) for hourly buckets, the date for daily ones. */
export function formatBucket(iso: string, hourly: boolean): string {
  return hourly ? `${iso.slice(11, 16)}` : iso.slice(5, 10);
}

export function formatPercent(ratio: number | null): string {
  return ratio === null ? "—" : `${Math.round(ratio * 1000) / 10}%`;
}
