"use client";

import { startTransition, useEffect, useId, useRef, useState } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { ActionState } from "@/lib/actions/safe-action";
import { saveScheduleAction } from "../schedule-actions";

export type SchedulableType = { name: string; label: string; defaults: string | null };

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

function Errors({ messages }: { messages?: string[] }) {
  return messages?.map((m) => (
    <p key={m} className="mt-1 text-sm text-red-600 dark:text-red-400">
      {m}
    </p>
  ));
}

/** Set a job type's schedule (a job type with one already gets its cron and payload replaced). */
export function ScheduleForm({ projectSlug, types }: { projectSlug: string; types: SchedulableType[] }) {
  const [state, action, pending] = useSafeAction(saveScheduleAction);
  const [jobType, setJobType] = useState(types[0]?.name ?? "");
  const id = useId();
  const handled = useRef<ActionState<{ message: string }>>(null);
  useEffect(() => {
    if (!state || handled.current === state) return;
    handled.current = state;
    if (state.ok) toast(state.data.message);
  }, [state]);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const defaults = types.find((t) => t.name === jobType)?.defaults;
  return (
    <form
      action={action}
      // Submitted by hand so React does not reset the fields: a refused cron stays there to fix.
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        startTransition(() => action(data));
      }}
      aria-label="Set a schedule" className="mt-4 grid gap-3 rounded-lg border border-zinc-200 bg-white p-4 md:grid-cols-[1fr_1fr_2fr_auto] md:items-start dark:border-zinc-800 dark:bg-zinc-900">
      <input type="hidden" name="projectSlug" value={projectSlug} />
      <label htmlFor={`${id}-type`} className="block text-sm font-medium">
        Job type
        <select id={`${id}-type`} name="jobType" value={jobType} onChange={(e) => setJobType(e.target.value)} className={input}>
          {types.map((t) => (
            <option key={t.name} value={t.name}>
              {t.label}
            </option>
          ))}
        </select>
        <Errors messages={errors.jobType} />
      </label>
      <div>
        <label htmlFor={`${id}-cron`} className="block text-sm font-medium">
          Cron (UTC)
        </label>
        <input id={`${id}-cron`} name="cron" required maxLength={100} placeholder="0 * * * *" aria-describedby={`${id}-cron-help`} aria-invalid={Boolean(errors.cron)} className={`${input} font-mono`} />
        <p id={`${id}-cron-help`} className="mt-1 text-xs text-zinc-500">
          minute hour day month weekday, e.g. <code>*/15 * * * *</code> or <code>0 3 * * *</code>
        </p>
        <Errors messages={errors.cron} />
      </div>
      <div>
        <label htmlFor={`${id}-payload`} className="block text-sm font-medium">
          Payload (JSON, optional)
        </label>
        <textarea
          id={`${id}-payload`}
          name="payload"
          rows={2}
          placeholder={defaults ?? "required: this job type has no defaults"}
          aria-describedby={`${id}-payload-help`}
          aria-invalid={Boolean(errors.payload)}
          className={`${input} font-mono`}
        />
        <p id={`${id}-payload-help`} className="mt-1 text-xs text-zinc-500">
          {defaults ? "Empty uses the defaults shown." : "This job type needs a payload."}
        </p>
        <Errors messages={errors.payload} />
      </div>
      <div className="md:pt-6">
        <button type="submit" disabled={pending} className="w-full rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60 md:w-auto">
          {pending ? "Saving…" : "Set schedule"}
        </button>
      </div>
      {state && !state.ok && !state.fieldErrors && (
        <p role="alert" className="text-sm text-red-600 md:col-span-4 dark:text-red-400">
          {state.error}
        </p>
      )}
      {state && !state.ok && state.fieldErrors && (
        <p role="alert" className="sr-only">
          {state.error}
        </p>
      )}
    </form>
  );
}
