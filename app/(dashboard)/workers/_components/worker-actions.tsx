"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { commandWorkerAction } from "../actions";

type Action = "quiet" | "resume" | "stop";

const VERB: Record<Action, string> = { quiet: "Quiet", resume: "Resume", stop: "Stop" };

/** Quiet / Resume / Stop for one worker (instance owner); the result shows under the buttons. */
export function WorkerActions({ workerId, name, actions }: { workerId: string; name: string; actions: Action[] }) {
  const [state, formAction, pending] = useSafeAction(commandWorkerAction);
  return (
    <form
      action={formAction}
      onSubmit={(event) => {
        const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
        if (submitter?.value === "stop" && !window.confirm(`Stop ${name}? It finishes the runs it holds, then its process exits; something must start it again.`)) event.preventDefault();
      }}
    >
      <input type="hidden" name="workerId" value={workerId} />
      <div className="flex flex-wrap gap-1.5">
        {actions.map((a) => (
          <button
            key={a}
            type="submit"
            name="action"
            value={a}
            disabled={pending}
            aria-label={`${VERB[a]} ${name}`}
            className={
              a === "stop"
                ? "rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
                : "rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800"
            }
          >
            {VERB[a]}
          </button>
        ))}
      </div>
      {state && (
        <p role={state.ok ? "status" : "alert"} className={`mt-1 max-w-xs text-xs ${state.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-600 dark:text-red-400"}`}>
          {state.ok ? state.data.message : state.error}
        </p>
      )}
    </form>
  );
}
