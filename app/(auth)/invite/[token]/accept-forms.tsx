"use client";

import { UNREACHABLE_MESSAGE, useReachableAction } from "@/lib/actions/use-safe-action";
import { acceptSignedInAction, acceptWithNewAccountAction, acceptWithPasswordAction, type AcceptState } from "./actions";

const unreachable = (): AcceptState => ({ error: UNREACHABLE_MESSAGE });

const field = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 dark:border-zinc-700 dark:bg-zinc-900";
const button = "w-full rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-60";

function Problem({ state, field: name }: { state: AcceptState; field?: string }) {
  const message = name ? state?.fieldErrors?.[name]?.[0] : state?.error;
  if (!message) return null;
  return name ? (
    <span className="mt-1 block text-xs font-normal text-red-700 dark:text-red-400">{message}</span>
  ) : (
    <p role="alert" className="text-sm text-red-600 dark:text-red-400">
      {message}
    </p>
  );
}

/** A new person: name and password create the account, which joins the team. */
export function NewAccountForm({ token, email }: { token: string; email: string }) {
  const [state, action, pending] = useReachableAction<AcceptState>(acceptWithNewAccountAction, null, unreachable);
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <label className="block text-sm font-medium">
        Email
        <input type="email" value={email} readOnly autoComplete="username" className={`${field} text-zinc-600 dark:text-zinc-400`} />
      </label>
      <label className="block text-sm font-medium">
        Your name
        <input name="name" required maxLength={100} autoComplete="name" className={field} />
        <Problem state={state} field="name" />
      </label>
      <label className="block text-sm font-medium">
        Choose a password
        <input name="password" type="password" required minLength={10} autoComplete="new-password" aria-describedby="password-hint" className={field} />
        <span id="password-hint" className="mt-1 block text-xs font-normal text-zinc-600 dark:text-zinc-400">
          At least 10 characters.
        </span>
        <Problem state={state} field="password" />
      </label>
      <Problem state={state} />
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Joining…" : "Create account and join"}
      </button>
    </form>
  );
}

/** An existing account: its password proves it is theirs. */
export function ExistingAccountForm({ token, email }: { token: string; email: string }) {
  const [state, action, pending] = useReachableAction<AcceptState>(acceptWithPasswordAction, null, unreachable);
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <label className="block text-sm font-medium">
        Email
        <input type="email" value={email} readOnly autoComplete="username" className={`${field} text-zinc-600 dark:text-zinc-400`} />
      </label>
      <label className="block text-sm font-medium">
        Password
        <input name="password" type="password" required autoComplete="current-password" className={field} />
      </label>
      <Problem state={state} />
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Joining…" : "Sign in and join"}
      </button>
    </form>
  );
}

/** Already signed in as the invited address: one click. */
export function AcceptSignedInForm({ token, teamName }: { token: string; teamName: string }) {
  const [state, action, pending] = useReachableAction<AcceptState>(acceptSignedInAction, null, unreachable);
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="token" value={token} />
      <Problem state={state} />
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Joining…" : `Join ${teamName}`}
      </button>
    </form>
  );
}
