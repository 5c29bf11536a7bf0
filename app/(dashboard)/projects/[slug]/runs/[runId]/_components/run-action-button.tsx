"use client";

import { useEffect, useRef } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";

const DONE: Record<string, string> = {
  cancelled: "Run cancelled.",
  cancelling: "Cancel requested: the run stops at its next check.",
  redriven: "Run queued again with a fresh set of attempts.",
  retry_now: "Next attempt queued now.",
};

type RunAction = (prev: ActionState<{ outcome: string }>, form: FormData) => Promise<ActionResult<{ outcome: string }>>;

/** One button posting a run action (cancel, re-drive) with its result shown beside it. */
export function RunActionButton({
  action,
  projectSlug,
  runId,
  label,
  busyLabel,
  busy,
  tone,
  onDone,
}: {
  action: RunAction;
  projectSlug: string;
  runId: string;
  label: string;
  busyLabel: string;
  /** Already under way (e.g. a cancel requested earlier): shown as busy and disabled. */
  busy: boolean;
  tone: "danger" | "neutral";
  /** Called once the action succeeded, to show its effect without waiting for a poll. */
  onDone: () => void;
}) {
  const [state, formAction, pending] = useSafeAction(action);
  const handled = useRef<ActionState<{ outcome: string }>>(null);
  useEffect(() => {
    // Once per result, however often the parent re-renders with a new onDone.
    if (!state || handled.current === state) return;
    handled.current = state;
    if (state.ok) {
      toast(DONE[state.data.outcome] ?? "Done.");
      onDone();
    } else toast(state.error, "error");
  }, [state, onDone]);
  const waiting = busy || pending || (state?.ok === true && state.data.outcome === "cancelling");
  const colors =
    tone === "danger"
      ? "border-red-300 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-400 dark:hover:bg-red-950"
      : "border-zinc-300 text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800";
  return (
    <form action={formAction} className="flex items-center gap-2">
      <input type="hidden" name="projectSlug" value={projectSlug} />
      <input type="hidden" name="runId" value={runId} />
      <button type="submit" disabled={waiting} className={`rounded-md border px-3 py-1.5 text-sm font-medium disabled:opacity-60 ${colors}`}>
        {waiting ? busyLabel : label}
      </button>
      {state && !state.ok && (
        <span role="alert" className="text-sm text-red-600 dark:text-red-400">
          {state.error}
        </span>
      )}
    </form>
  );
}
