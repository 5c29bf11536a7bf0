"use client";

import { useSyncExternalStore } from "react";
import { formatRelative, formatTimestamp } from "./format";

// One shared 15 s clock for every RelativeTime on the page.
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // A time mounted by a client navigation reads the clock now, not at the shared tick up to 15 s
  // ago (a run scheduled in 30 minutes showed "in 30m" for its first seconds).
  now = Date.now();
  if (!timer) {
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 15_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/**
 * "3m ago" with the absolute UTC time as its title. The server renders the absolute time (no
 * clock skew between server and browser in the first paint); the browser shows the relative one.
 */
export function RelativeTime({ iso, className }: { iso: string | null; className?: string }) {
  const clock = useSyncExternalStore(
    subscribe,
    () => now,
    () => null,
  );
  if (!iso) return <span className={className}>—</span>;
  const absolute = formatTimestamp(iso);
  return (
    <time dateTime={iso} title={absolute} className={className}>
      {clock === null ? absolute : formatRelative(iso, clock)}
    </time>
  );
}
