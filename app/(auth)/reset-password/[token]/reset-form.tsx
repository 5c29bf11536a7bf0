"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { resetPasswordAction } from "./actions";

const field = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 dark:border-zinc-700 dark:bg-zinc-900";

export function ResetForm({ token, email }: { token: string; email: string }) {
  const [state, action, pending] = useSafeAction(resetPasswordAction);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <label className="block text-sm font-medium">
        New password
        <input name="newPassword" type="password" required minLength={10} maxLength={200} autoComplete="new-password" aria-invalid={errors.newPassword ? true : undefined} aria-describedby="new-error" className={field} />
        {errors.newPassword && (
          <span id="new-error" className="mt-1 block text-xs font-normal text-red-700 dark:text-red-400">
            {errors.newPassword[0]}
          </span>
        )}
      </label>
      <label className="block text-sm font-medium">
        Repeat new password
        <input name="confirmPassword" type="password" required maxLength={200} autoComplete="new-password" aria-invalid={errors.confirmPassword ? true : undefined} aria-describedby="confirm-error" className={field} />
        {errors.confirmPassword && (
          <span id="confirm-error" className="mt-1 block text-xs font-normal text-red-700 dark:text-red-400">
            {errors.confirmPassword[0]}
          </span>
        )}
      </label>
      {state && !state.ok && !state.fieldErrors && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {state.error}
        </p>
      )}
      <button type="submit" disabled={pending} className="w-full rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
        {pending ? "Saving…" : "Set new password"}
      </button>
    </form>
  );
}
