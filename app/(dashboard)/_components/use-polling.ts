"use client";

import { useCallback, useEffect, useRef, useState } from "react";

export type PollingOptions<T> = {
  url: string;
  intervalMs: number;
  /** False pauses the timer (a run that ended); `refresh()` still fetches once. */
  enabled?: boolean;
  /** The version the page was rendered with, so the first poll can already answer 304. */
  initialEtag?: string | null;
  /** Poll at once on mount (a page that renders part of its view from the first answer). */
  immediate?: boolean;
  /** Each changed answer (200), in order: one request is in flight at a time. */
  onData: (data: T) => void;
  /** Every answer's status (0: no answer, a network failure). */
  onStatus?: (status: number) => void;
};

/** Longest wait between polls while the server answers errors or asks to back off. */
const MAX_BACKOFF_MS = 30_000;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); null when absent or odd. */
function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(MAX_BACKOFF_MS, Math.max(0, ms)) : null;
}

/**
 * Polls `url` every `intervalMs` while the tab is visible: nothing while it is hidden (one poll as
 * soon as it is shown again). Each poll sends the last ETag, so an unchanged answer is a bodiless
 * 304. A 503 (database unreachable) sets `databaseDown`; an error answer waits for its
 * Retry-After, else polls on at the interval; a network failure backs off exponentially. One request at a time: a refresh aborts the one in flight, and
 * unmounting aborts everything, so answers are applied in order.
 */
export function usePolling<T>({ url, intervalMs, enabled = true, immediate = false, initialEtag = null, onData, onStatus }: PollingOptions<T>): { databaseDown: boolean; refresh: () => void } {
  const [databaseDown, setDatabaseDown] = useState(false);
  const etag = useRef<string | null>(initialEtag);
  const onDataRef = useRef(onData);
  const onStatusRef = useRef(onStatus);
  const pollRef = useRef<() => void>(() => undefined);
  useEffect(() => {
    onDataRef.current = onData;
    onStatusRef.current = onStatus;
  }, [onData, onStatus]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | null = null;
    let failures = 0;
    let stopped = false;
    const schedule = (ms: number) => {
      clearTimeout(timer);
      timer = undefined;
      if (!stopped && enabled && document.visibilityState === "visible") timer = setTimeout(() => void poll(), ms);
    };
    const poll = async () => {
      clearTimeout(timer);
      timer = undefined;
      inFlight?.abort();
      const controller = new AbortController();
      inFlight = controller;
      let next = intervalMs;
      try {
        const response = await fetch(url, { headers: etag.current ? { "If-None-Match": etag.current } : {}, cache: "no-store", signal: controller.signal });
        setDatabaseDown(response.status === 503);
        onStatusRef.current?.(response.status);
        if (response.status === 200) {
          const body = (await response.json()) as T;
          if (controller.signal.aborted) return;
          etag.current = response.headers.get("ETag");
          failures = 0;
          onDataRef.current(body);
        } else if (response.status === 304) {
          failures = 0;
        } else {
          // A 503 keeps polling at the interval (the page says the database is away) unless the
          // server asks for longer with Retry-After.
          failures = 0;
          next = retryAfterMs(response.headers.get("Retry-After")) ?? intervalMs;
        }
      } catch {
        // Aborted (a newer poll took over, or unmounted): that one schedules.
        if (controller.signal.aborted) return;
        onStatusRef.current?.(0);
        failures += 1;
        next = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** failures);
      } finally {
        if (inFlight === controller) inFlight = null;
      }
      schedule(next);
    };
    pollRef.current = () => void poll();
    const onVisibility = () => {
      if (document.visibilityState === "visible") schedule(0);
      else clearTimeout(timer);
    };
    document.addEventListener("visibilitychange", onVisibility);
    schedule(immediate ? 0 : intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
      inFlight?.abort();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [url, intervalMs, enabled, immediate]);

  const refresh = useCallback(() => pollRef.current(), []);
  return { databaseDown, refresh };
}
