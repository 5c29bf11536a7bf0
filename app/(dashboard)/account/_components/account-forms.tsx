"use client";

import { useEffect, useRef } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import type { ActionResult } from "@/lib/actions/safe-action";
import { changePasswordAction, signOutOthersAction, updateNameAction } from "../actions";

const field = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-900";
const primary = "rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60";

type Result = ActionResult<{ message: string }> | null;

function Feedback({ state, hideErrorFor }: { state: Result; hideErrorFor?: boolean }) {
  if (!state) return null;
  if (state.ok)
    return (
      <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
        {state.data.message}
      </p>
    );
  if (hideErrorFor) return null;
  return (
    <p role="alert" className="text-sm text-red-700 dark:text-red-400">
      {state.error}
    </p>
  );
}

function FieldError({ id, state, name }: { id: string; state: Result; name: string }) {
  const message = state && !state.ok ? state.fieldErrors?.[name]?.[0] : undefined;
  if (!message) return null;
  return (
    <span id={id} className="mt-1 block text-xs font-normal text-red-700 dark:text-red-400">
      {message}
    </span>
  );
}

const invalid = (state: Result, name: string) => (state && !state.ok && state.fieldErrors?.[name]?.length ? true : undefined);

export function NameForm({ name }: { name: string }) {
  const [state, action, pending] = useSafeAction(updateNameAction);
  return (
    <form action={action} aria-label="Your name" className="space-y-3">
      <label className="block text-sm font-medium">
        Name
        <input name="name" defaultValue={name} required maxLength={100} autoComplete="name" aria-invalid={invalid(state, "name")} aria-describedby="name-error" className={field} />
        <FieldError id="name-error" state={state} name="name" />
      </label>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className={primary}>
          {pending ? "Saving…" : "Save name"}
        </button>
        <Feedback state={state} hideErrorFor={invalid(state, "name")} />
      </div>
    </form>
  );
}

export function PasswordForm({ email }: { email: string }) {
  const [state, action, pending] = useSafeAction(changePasswordAction);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state?.ok) form.current?.reset();
  }, [state]);
  const fieldsInvalid = invalid(state, "currentPassword") || invalid(state, "newPassword") || invalid(state, "confirmPassword");
  return (
    <form ref={form} action={action} aria-label="Change password" className="space-y-3">
      {/* Lets password managers file the new password under the right account. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <label className="block text-sm font-medium">
        Current password
        <input name="currentPassword" type="password" required autoComplete="current-password" aria-invalid={invalid(state, "currentPassword")} aria-describedby="current-error" className={field} />
        <FieldError id="current-error" state={state} name="currentPassword" />
      </label>
      <div className="grid gap-3 sm:grid-cols-2">
        <label className="block text-sm font-medium">
          New password
          <input name="newPassword" type="password" required minLength={10} maxLength={200} autoComplete="new-password" aria-invalid={invalid(state, "newPassword")} aria-describedby="new-error" className={field} />
          <FieldError id="new-error" state={state} name="newPassword" />
        </label>
        <label className="block text-sm font-medium">
          Repeat new password
          <input name="confirmPassword" type="password" required maxLength={200} autoComplete="new-password" aria-invalid={invalid(state, "confirmPassword")} aria-describedby="confirm-error" className={field} />
          <FieldError id="confirm-error" state={state} name="confirmPassword" />
        </label>
      </div>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">At least 10 characters. Changing it signs out every other session; this one stays signed in.</p>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className={primary}>
          {pending ? "Changing…" : "Change password"}
        </button>
        <Feedback state={state} hideErrorFor={fieldsInvalid} />
      </div>
    </form>
  );
}

export function SignOutOthersButton({ others }: { others: number }) {
  const [state, action, pending] = useSafeAction(signOutOthersAction);
  return (
    <form action={action} className="flex flex-wrap items-center gap-3">
      <button
        type="submit"
        disabled={pending || others === 0}
        className="rounded-md border border-red-300 px-3 py-2 text-sm text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
      >
        {pending ? "Signing out…" : "Sign out every other session"}
      </button>
      <Feedback state={state} />
    </form>
  );
}
