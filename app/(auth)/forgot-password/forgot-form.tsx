"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { requestResetAction } from "./actions";

export function ForgotForm() {
  const [state, action, pending] = useSafeAction(requestResetAction);
  if (state?.ok)
    return (
      <p role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-200">
        {state.data.message}
      </p>
    );
  const emailError = state && !state.ok ? (state.fieldErrors?.email?.[0] ?? state.error) : undefined;
  return (
    <form action={action} className="space-y-4">
      <label className="block text-sm font-medium">
        Email
        <input name="email" type="email" autoComplete="email" required aria-invalid={emailError ? true : undefined} aria-describedby="forgot-error" className="mt-1 block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 dark:border-zinc-700 dark:bg-zinc-900" />
      </label>
      {emailError && (
        <p id="forgot-error" role="alert" className="text-sm text-red-600 dark:text-red-400">
          {emailError}
        </p>
      )}
      <button type="submit" disabled={pending} className="w-full rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
        {pending ? "Sending…" : "Email me a reset link"}
      </button>
    </form>
  );
}
