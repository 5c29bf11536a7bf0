"use client";

import Link from "next/link";
import { useId } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";
import type { Done } from "../actions";

type NameAction = (prev: ActionState<Done>, form: FormData) => Promise<ActionResult<Done>>;

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

/** One name field and a button: create a team or a project, or rename one. */
export function NameForm(props: { action: NameAction; label: string; submitLabel: string; hidden?: Record<string, string>; defaultValue?: string; placeholder?: string; linkToProject?: boolean }) {
  const [state, action, pending] = useSafeAction(props.action);
  const id = useId();
  const errors = state && !state.ok ? (state.fieldErrors?.name ?? []) : [];
  return (
    <form action={action} className="flex flex-wrap items-end gap-2">
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <label htmlFor={id} className="block min-w-0 flex-1 basis-48 text-sm font-medium">
        {props.label}
        <input id={id} name="name" required maxLength={80} defaultValue={props.defaultValue} placeholder={props.placeholder} aria-invalid={errors.length > 0} className={input} />
      </label>
      <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
        {pending ? "Saving…" : props.submitLabel}
      </button>
      {state && !state.ok && (
        <p role="alert" className="basis-full text-sm text-red-700 dark:text-red-400">
          {errors[0] && errors[0] !== state.error ? `${state.error} ${errors[0]}` : state.error}
        </p>
      )}
      {state?.ok && (
        <p role="status" className="basis-full text-sm text-emerald-700 dark:text-emerald-400">
          {state.data.message}{" "}
          {props.linkToProject && (
            <Link href={`/projects/${state.data.slug}/jobs`} className="text-indigo-700 underline dark:text-indigo-400">
              Open
            </Link>
          )}
        </p>
      )}
    </form>
  );
}
