"use client";

import { useState, useTransition } from "react";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";

export type Done = { message: string };
export type TeamSettingsAction = (prev: ActionState<Done>, form: FormData) => Promise<ActionResult<Done>>;

/**
 * Call a settings action from a control that applies at once (a select, a checkbox, a button):
 * the result stays on screen, and `onRefused` lets the control put its old value back.
 * The control keeps its own state across the refresh a change triggers, so the result stays.
 */
export function useTeamAction(action: TeamSettingsAction) {
  const [result, setResult] = useState<ActionResult<Done> | null>(null);
  const [pending, startTransition] = useTransition();
  function run(fields: Record<string, string | string[]>, after: { onRefused?: () => void; onDone?: () => void } = {}) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
    setResult(null);
    startTransition(async () => {
      const outcome = await action(null, form);
      setResult(outcome);
      if (outcome.ok) {
        toast(outcome.data.message);
        after.onDone?.();
      } else after.onRefused?.();
    });
  }
  return { result, pending, run };
}

/** The outcome of the last action, announced to screen readers. */
export function ActionFeedback({ result, className = "" }: { result: ActionResult<Done> | null; className?: string }) {
  if (!result) return null;
  return result.ok ? (
    <p role="status" className={`text-xs text-emerald-700 dark:text-emerald-400 ${className}`}>
      {result.data.message}
    </p>
  ) : (
    <p role="alert" className={`text-xs text-red-700 dark:text-red-400 ${className}`}>
      {result.error}
    </p>
  );
}
