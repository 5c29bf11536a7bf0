"use client";

import { useActionState } from "react";
import { cancelRunAction } from "../actions";

export function CancelButton({ projectSlug, runId, cancelling }: { projectSlug: string; runId: string; cancelling: boolean }) {
  const [state, action, pending] = useActionState(cancelRunAction, null);
  const requested = cancelling || (state?.ok === true && state.data.outcome === "cancelling");
  return (
    <form action={action} className="flex items-center gap-2">
      <input type="hidden" name="projectSlug" value={projectSlug} />
      <input type="hidden" name="runId" value={runId} />
      <button
        type="submit"
        disabled={pending || requested}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-400 dark:hover:bg-red-950"
      >
        {requested ? "Cancelling…" : pending ? "Cancelling…" : "Cancel run"}
      </button>
      {state && !state.ok && (
        <span role="alert" className="text-sm text-red-600 dark:text-red-400">
          {state.error}
        </span>
      )}
    </form>
  );
}
