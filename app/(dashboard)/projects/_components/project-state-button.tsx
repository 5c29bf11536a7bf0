"use client";

import Link from "next/link";
import { useState } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";
import type { Done } from "../actions";

type StateAction = (prev: ActionState<Done>, form: FormData) => Promise<ActionResult<Done>>;

/** Delete (after a confirming second click) or restore one project. */
export function ProjectStateButton({ action, projectSlug, projectName, kind }: { action: StateAction; projectSlug: string; projectName: string; kind: "delete" | "restore" }) {
  const [state, formAction, pending] = useSafeAction(action);
  const [confirming, setConfirming] = useState(false);
  const danger = "rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-600 disabled:opacity-60";
  const plain = "rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";
  return (
    <div className="space-y-2">
      {kind === "delete" && !confirming ? (
        <button type="button" className={danger} onClick={() => setConfirming(true)}>
          Delete project…
        </button>
      ) : (
        <form action={formAction} className="flex flex-wrap items-center gap-2" aria-label={`${kind === "delete" ? "Delete" : "Restore"} ${projectName}`}>
          <input type="hidden" name="projectSlug" value={projectSlug} />
          <button type="submit" disabled={pending} className={kind === "delete" ? danger : plain}>
            {pending ? "Working…" : kind === "delete" ? `Yes, delete ${projectName}` : "Restore"}
          </button>
          {kind === "delete" && (
            <button type="button" className={plain} onClick={() => setConfirming(false)}>
              Keep it
            </button>
          )}
        </form>
      )}
      {state && !state.ok && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {state.error}{" "}
          {state.existingRunId && (
            <Link href={`/projects/${projectSlug}/runs/${state.existingRunId}`} className="text-indigo-700 underline dark:text-indigo-400">
              Open the run
            </Link>
          )}
        </p>
      )}
      {state?.ok && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {state.data.message}
        </p>
      )}
    </div>
  );
}
