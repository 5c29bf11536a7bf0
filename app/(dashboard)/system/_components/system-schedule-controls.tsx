"use client";

import { useEffect, useRef } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { ActionState } from "@/lib/actions/safe-action";
import { pauseSystemScheduleAction, runSystemJobAction } from "../actions";

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

const button = "rounded-md border border-zinc-300 px-3 py-1 text-sm hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";

/** Pause / resume a system schedule and run its job now. */
export function SystemScheduleControls({ jobType, label, scheduled, paused, runnableNow }: { jobType: string; label: string; scheduled: boolean; paused: boolean; runnableNow: boolean }) {
  const [pauseState, pauseAction, pausing] = useSafeAction(pauseSystemScheduleAction);
  const [runState, runAction, running] = useSafeAction(runSystemJobAction);
  useToast(pauseState);
  useToast(runState);
  return (
    <div className="flex shrink-0 flex-wrap gap-2">
      {scheduled && (
        <form action={pauseAction}>
          <input type="hidden" name="jobType" value={jobType} />
          <input type="hidden" name="paused" value={paused ? "false" : "true"} />
          <button type="submit" disabled={pausing} aria-label={`${paused ? "Resume" : "Pause"} ${label}`} className={button}>
            {paused ? "Resume" : "Pause"}
          </button>
        </form>
      )}
      {runnableNow && (
        <form action={runAction}>
          <input type="hidden" name="jobType" value={jobType} />
          <button type="submit" disabled={running} aria-label={`Run ${label} now`} className={button}>
            {running ? "Starting…" : "Run now"}
          </button>
        </form>
      )}
    </div>
  );
}
