"use client";

import { useState } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { GRANTABLE_PERMISSIONS, KEY_SCOPES } from "@/lib/auth/permissions";
import { createApiKeyAction } from "../actions";

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

/** Create a key; the new key is shown once, with a copy button, until the page is left. */
export function CreateKeyForm({ teamSlug }: { teamSlug: string }) {
  const [state, action, pending] = useSafeAction(createApiKeyAction);
  const [copied, setCopied] = useState(false);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const created = state?.ok ? state.data : null;
  return (
    <section aria-labelledby="new-key" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <h2 id="new-key" className="font-medium">
        New API key
      </h2>
      <form action={action} className="mt-3 flex flex-wrap items-end gap-4" aria-label="Create API key" onSubmit={() => setCopied(false)}>
        <input type="hidden" name="teamSlug" value={teamSlug} />
        <label className="block min-w-56 flex-1 text-sm font-medium">
          Key name
          <input name="name" required maxLength={80} placeholder="e.g. deploy agent" className={input} />
          {errors.name?.map((m) => (
            <span key={m} className="mt-1 block text-sm text-red-600 dark:text-red-400">
              {m}
            </span>
          ))}
        </label>
        <fieldset className="text-sm">
          <legend className="font-medium">Scopes</legend>
          <div className="mt-1 flex flex-wrap gap-3">
            {KEY_SCOPES.map((scope) => (
              <label key={scope} className="flex items-center gap-1.5" title={scope === "team:manage" ? "Create, rename and delete the team's projects" : undefined}>
                {/* Job scopes by default; project management only when asked for. */}
                <input type="checkbox" name="scopes" value={scope} defaultChecked={(GRANTABLE_PERMISSIONS as readonly string[]).includes(scope)} className="h-4 w-4" />
                <code>{scope}</code>
              </label>
            ))}
          </div>
          {errors.scopes?.map((m) => (
            <span key={m} className="mt-1 block text-sm text-red-600 dark:text-red-400">
              {m}
            </span>
          ))}
        </fieldset>
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
          {pending ? "Creating…" : "Create key"}
        </button>
      </form>
      {state && !state.ok && (
        <p role="alert" className="mt-2 text-sm text-red-600 dark:text-red-400">
          {state.error}
        </p>
      )}
      {created && (
        <div role="status" className="mt-4 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950/40">
          <p className="font-medium">Key “{created.name}” created. Copy it now: it will not be shown again.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="new-api-key" className="break-all rounded bg-white px-2 py-1 font-mono text-xs dark:bg-zinc-900">
              {created.key}
            </code>
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(created.key).then(() => setCopied(true), () => setCopied(false));
              }}
              className="rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            >
              {copied ? "Copied" : "Copy key"}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
