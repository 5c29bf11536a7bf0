"use client";

import Link from "next/link";
import { useId } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import type { PayloadField } from "@/lib/jobs/web/form";
import { triggerRunAction } from "../actions";
import { RunWhenFields } from "./run-when-fields";

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

function FieldInput({ field, formId }: { field: PayloadField; formId: string }) {
  const name = `payload.${field.name}`;
  const id = `${formId}-${field.name}`;
  switch (field.kind) {
    case "file":
      return <input id={id} name={name} type="file" accept={field.accept} required={field.required} className={input} />;
    case "boolean":
      return <input id={id} name={name} type="checkbox" defaultChecked={field.defaultValue} className="h-4 w-4" />;
    case "integer":
    case "number":
      return <input id={id} name={name} type="number" step={field.kind === "integer" ? 1 : "any"} min={field.min} max={field.max} defaultValue={field.defaultValue} required={field.required} className={input} />;
    case "enum":
      return (
        <select id={id} name={name} defaultValue={field.defaultValue} className={input}>
          {field.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
    default:
      return <input id={id} name={name} type="text" defaultValue={field.defaultValue} required={field.required} className={input} />;
  }
}

/**
 * The Run form of one job type, its fields generated from the job's payload schema. `withheld`:
 * fields left empty because their earlier value was redacted for this user (run again with changes).
 */
export function RunJobForm({ projectSlug, jobType, label, fields, withheld = [] }: { projectSlug: string; jobType: string; label: string; fields: PayloadField[]; withheld?: string[] }) {
  const [state, action, pending] = useSafeAction(triggerRunAction);
  const formId = useId();
  const errors = state && !state.ok ? state.fieldErrors ?? {} : {};
  return (
    <form action={action} className="mt-3 space-y-3" aria-label={`Run ${label}`}>
      <input type="hidden" name="projectSlug" value={projectSlug} />
      <input type="hidden" name="jobType" value={jobType} />
      {fields.map((field) => (
        <div key={field.name} className={field.kind === "boolean" ? "flex items-center gap-2" : ""}>
          {field.kind === "boolean" ? (
            <>
              <FieldInput field={field} formId={formId} />
              <label htmlFor={`${formId}-${field.name}`} className="text-sm">
                {field.title}
              </label>
            </>
          ) : (
            <label htmlFor={`${formId}-${field.name}`} className="block text-sm font-medium">
              {field.title}
              <FieldInput field={field} formId={formId} />
            </label>
          )}
          {withheld.includes(field.name) && <p className="mt-1 text-xs text-amber-700 dark:text-amber-400">Hidden in the earlier run (a secret): enter it again.</p>}
          {errors[field.name]?.map((message) => (
            <p key={message} className="mt-1 text-sm text-red-600 dark:text-red-400">
              {message}
            </p>
          ))}
        </div>
      ))}
      <RunWhenFields formId={formId} errors={errors} />
      <div className="flex flex-wrap items-center justify-between gap-2">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="notify" className="h-4 w-4" />
          Notify me when done
        </label>
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
          {pending ? "Starting…" : "Run"}
        </button>
      </div>
      {state && !state.ok && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {state.error}{" "}
          {state.existingRunId && (
            <Link href={`/projects/${projectSlug}/runs/${state.existingRunId}`} className="font-medium underline">
              View the running run
            </Link>
          )}
        </p>
      )}
    </form>
  );
}
