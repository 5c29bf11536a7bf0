"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { setUserDisabledAction } from "../actions";

export function DisableButton({ userId, email, disabled }: { userId: string; email: string; disabled: boolean }) {
  const [state, action, pending] = useSafeAction(setUserDisabledAction);
  const verb = disabled ? "Enable" : "Disable";
  return (
    <form
      action={action}
      onSubmit={(event) => {
        if (!disabled && !window.confirm(`Disable ${email}? Their sessions end and their API keys stop working at once.`)) event.preventDefault();
      }}
    >
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="disabled" value={disabled ? "false" : "true"} />
      <button
        type="submit"
        disabled={pending}
        aria-label={`${verb} ${email}`}
        className={
          disabled
            ? "rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800"
            : "rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
        }
      >
        {pending ? `${verb.slice(0, -1)}ing…` : verb}
      </button>
      {state && (
        <p role={state.ok ? "status" : "alert"} className={`mt-1 max-w-xs text-xs ${state.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-600 dark:text-red-400"}`}>
          {state.ok ? state.data.message : state.error}
        </p>
      )}
    </form>
  );
}
