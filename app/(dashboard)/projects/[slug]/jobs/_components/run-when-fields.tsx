"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { RUN_IN_MAX_MINUTES } from "@/lib/runs/run-at";

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

const noSubscribe = () => () => undefined;
/** The browser's time zone; null on the server, so the first render matches (no hydration error). */
const useTimeZone = () =>
  useSyncExternalStore(
    noSubscribe,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    () => null,
  );

/** `UTC+01:00` for the browser's offset at that moment (daylight saving included). */
function offsetLabel(at: Date): string {
  const minutes = -at.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `UTC${minutes >= 0 ? "+" : "-"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** A `datetime-local` value read in the browser's time zone, as ISO 8601 (UTC); "" when incomplete. */
function toIso(local: string): string {
  const at = new Date(local);
  return local && !Number.isNaN(at.getTime()) ? at.toISOString() : "";
}

/**
 * When the run starts: now, at a date and time (read in the browser's time zone, which is named,
 * and sent with its offset), or in N minutes. The server checks the time again.
 */
export function RunWhenFields({ formId, errors }: { formId: string; errors: { runAt?: string[]; runInMinutes?: string[] } }) {
  const [when, setWhen] = useState<"now" | "at" | "in">("now");
  const [local, setLocal] = useState("");
  // React resets a form after its action returns, which puts the radios back to their default
  // while the choice (and its time field) is kept: new radio nodes show the choice again.
  const [resets, setResets] = useState(0);
  const ref = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    const form = ref.current?.form;
    if (!form) return;
    const onReset = () => setTimeout(() => setResets((n) => n + 1), 0);
    form.addEventListener("reset", onReset);
    return () => form.removeEventListener("reset", onReset);
  }, []);
  const timeZone = useTimeZone();
  const iso = toIso(local);
  const option = (value: typeof when, label: string) => (
    <label className="flex items-center gap-1.5 text-sm">
      <input key={resets} type="radio" name="when" value={value} checked={when === value} onChange={() => setWhen(value)} className="h-4 w-4" />
      {label}
    </label>
  );
  return (
    <fieldset ref={ref} className="space-y-2">
      <legend className="text-sm font-medium">When</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {option("now", "Now")}
        {option("at", "At a time")}
        {option("in", "In minutes")}
      </div>
      {when === "at" && (
        <div>
          <label htmlFor={`${formId}-run-at`} className="block text-sm font-medium">
            Run at
            <input id={`${formId}-run-at`} type="datetime-local" value={local} onChange={(e) => setLocal(e.target.value)} required className={input} />
          </label>
          <input type="hidden" name="runAt" value={iso} />
          <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="run-at-zone">
            {timeZone ? `Your time zone: ${timeZone} (${offsetLabel(iso ? new Date(iso) : new Date())})` : "Your time zone"}
            {iso && ` · ${iso.replace("T", " ").slice(0, 16)} UTC`}
          </p>
        </div>
      )}
      {when === "in" && (
        <label htmlFor={`${formId}-run-in`} className="block text-sm font-medium">
          Minutes from now
          <input id={`${formId}-run-in`} name="runInMinutes" type="number" min={1} max={RUN_IN_MAX_MINUTES} step={1} required className={input} />
        </label>
      )}
      {[...(errors.runAt ?? []), ...(errors.runInMinutes ?? [])].map((message) => (
        <p key={message} className="text-sm text-red-600 dark:text-red-400">
          {message}
        </p>
      ))}
    </fieldset>
  );
}
