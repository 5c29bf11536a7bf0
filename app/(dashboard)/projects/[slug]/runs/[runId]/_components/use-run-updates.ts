"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { usePolling } from "@/app/(dashboard)/_components/use-polling";

export type Transport = "stream" | "poll";

/** Answers in a row a fallback poll gets before the page tries the stream again. */
const POLLS_BEFORE_STREAM = 30;
/** A stream that has not (re)opened within this falls back to polling. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * An open stream that sent nothing for this long is opened again from the last event: a
 * connection a middlebox dropped without a word looks open forever, and one answer costs little.
 */
const SILENCE_MS = 30_000;

type Options<T> = { streamUrl: string; pollUrl: string; intervalMs: number; enabled: boolean; onData: (data: T) => void };

/**
 * A run page's live updates: server-sent events (one hub per web process sends only what changed),
 * with the poll as the fallback. The page polls when the browser has no EventSource, when the
 * server refuses the stream (401/403/404, 429 too many streams, 503), when the stream says
 * `denied`, or when it cannot reconnect within 10 s; after 30 answered polls it tries the stream
 * again. A stream silent for 30 s is opened again from its last event. Nothing is open while the
 * tab is hidden; showing it reconnects from the last event.
 */
export function useRunUpdates<T>({ streamUrl, pollUrl, intervalMs, enabled, onData }: Options<T>): { databaseDown: boolean; refresh: () => void; transport: Transport; streamOpen: boolean } {
  const [transport, setTransport] = useState<Transport>("stream");
  const [streamOpen, setStreamOpen] = useState(false);
  const [streamDown, setStreamDown] = useState(false);
  const answered = useRef(0);
  const lastEventId = useRef<string | null>(null);
  const onDataRef = useRef(onData);
  const reopen = useRef<(() => void) | null>(null);
  useEffect(() => {
    onDataRef.current = onData;
  }, [onData]);

  const onStatus = useCallback((status: number) => {
    answered.current = status === 200 || status === 304 ? answered.current + 1 : 0;
    if (answered.current >= POLLS_BEFORE_STREAM && typeof EventSource !== "undefined") {
      answered.current = 0;
      setTransport("stream");
    }
  }, []);
  const polling = usePolling<T>({ url: pollUrl, intervalMs, enabled: enabled && transport === "poll", onData, onStatus });

  useEffect(() => {
    if (!enabled || transport !== "stream") return;
    let source: EventSource | null = null;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let heardAt = Date.now();
    const silence = setInterval(() => {
      if (source?.readyState === EventSource.OPEN && Date.now() - heardAt > SILENCE_MS) open();
    }, SILENCE_MS / 6);
    const fallBack = () => {
      close();
      setStreamDown(false);
      setTransport("poll");
    };
    const close = () => {
      clearTimeout(watchdog);
      watchdog = undefined;
      source?.close();
      source = null;
      setStreamOpen(false);
    };
    // Armed once per outage: the browser's own reconnect attempts must not keep pushing it back.
    const arm = (es: EventSource) => {
      watchdog ??= setTimeout(() => {
        if (source === es && es.readyState !== EventSource.OPEN) fallBack();
      }, CONNECT_TIMEOUT_MS);
    };
    const open = () => {
      close();
      if (document.visibilityState !== "visible") return;
      if (typeof EventSource === "undefined") return fallBack();
      const since = lastEventId.current;
      const es = new EventSource(since ? `${streamUrl}?since=${encodeURIComponent(since)}` : streamUrl);
      source = es;
      heardAt = Date.now();
      arm(es);
      es.onopen = () => {
        clearTimeout(watchdog);
        watchdog = undefined;
        setStreamOpen(true);
        // A stream that opens means the server reached Postgres; a quiet run may send nothing else.
        setStreamDown(false);
      };
      es.addEventListener("run", (event) => {
        heardAt = Date.now();
        lastEventId.current = event.lastEventId || lastEventId.current;
        setStreamDown(false);
        onDataRef.current(JSON.parse(event.data) as T);
      });
      es.addEventListener("unavailable", () => setStreamDown(true));
      es.addEventListener("available", () => setStreamDown(false));
      es.addEventListener("end", close);
      es.addEventListener("denied", fallBack);
      es.onerror = () => {
        // CLOSED: the server refused (an HTTP error); CONNECTING: the browser is retrying by itself.
        setStreamOpen(false);
        if (es.readyState === EventSource.CLOSED) fallBack();
        else arm(es);
      };
    };
    const onVisibility = () => (document.visibilityState === "visible" ? open() : close());
    reopen.current = open;
    open();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      reopen.current = null;
      clearInterval(silence);
      close();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [enabled, transport, streamUrl]);

  const { refresh: refreshPoll } = polling;
  // After an action: reconnect from the last event (the answer comes at once), or poll once.
  const refresh = useCallback(() => (reopen.current ? reopen.current() : refreshPoll()), [refreshPoll]);
  return { databaseDown: transport === "stream" ? streamDown : polling.databaseDown, refresh, transport, streamOpen };
}
