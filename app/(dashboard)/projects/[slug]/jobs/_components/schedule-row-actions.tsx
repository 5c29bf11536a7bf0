"use client";

import { useEffect, useRef } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { ActionState } from "@/lib/actions/safe-action";
import { pauseScheduleAction, removeScheduleAction } from "../schedule-actions";

type Result = ActionState<{ message: string }>;

function useToast(state: Result) {
  const handled = useRef<Result>(null);
  useEffect(() => {
    if (!state || handled.current === state) return;
    handled.current = state;
    if (state.ok) toast(state.data.message);
    else toast(state.error, "error");
  }, [state]);
}

const button = "rounded-md border px-3 py-1 text-sm disabled:opacity-60";

/** Pause / resume and remove one schedule. */
export function ScheduleRowActions({ projectSlug, jobType, label, paused }: { projectSlug: string; jobType: string; label: string; paused: boolean }) {
  const [pauseState, pauseAction, pausing] = useSafeAction(pauseScheduleAction);
  const [removeState, removeAction, removing] = useSafeAction(removeScheduleAction);
  useToast(pauseState);
  useToast(removeState);
  return (
    <div className="flex shrink-0 gap-2">
      <form action={pauseAction}>
        <input type="hidden" name="projectSlug" value={projectSlug} />
        <input type="hidden" name="jobType" value={jobType} />
        <input type="hidden" name="paused" value={paused ? "false" : "true"} />
        <button type="submit" disabled={pausing} aria-label={`${paused ? "Resume" : "Pause"} the ${label} schedule`} className={`${button} border-zinc-300 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800`}>
          {paused ? "Resume" : "Pause"}
        </button>
      </form>
      <form
        action={removeAction}
        onSubmit={(event) => {
          if (!window.confirm(`Remove the ${label} schedule? Runs it started stay in the history.`)) event.preventDefault();
        }}
      >
        <input type="hidden" name="projectSlug" value={projectSlug} />
        <input type="hidden" name="jobType" value={jobType} />
        <button type="submit" disabled={removing} aria-label={`Remove the ${label} schedule`} className={`${button} border-red-300 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-400 dark:hover:bg-red-950`}>
          Remove
        </button>
      </form>
    </div>
  );
}
