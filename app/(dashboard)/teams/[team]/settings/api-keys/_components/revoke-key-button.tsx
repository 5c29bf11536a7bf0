"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { revokeApiKeyAction } from "../actions";

export function RevokeKeyButton({ teamSlug, keyId, name }: { teamSlug: string; keyId: string; name: string }) {
  const [state, action, pending] = useSafeAction(revokeApiKeyAction);
  return (
    <form
      action={action}
      onSubmit={(event) => {
        if (!window.confirm(`Revoke the key “${name}”? Requests with it stop working at once.`)) event.preventDefault();
      }}
    >
      <input type="hidden" name="teamSlug" value={teamSlug} />
      <input type="hidden" name="keyId" value={keyId} />
      <button
        type="submit"
        disabled={pending}
        aria-label={`Revoke ${name}`}
        className="rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
      >
        {pending ? "Revoking…" : "Revoke"}
      </button>
      {state && !state.ok && (
        <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
          {state.error}
        </p>
      )}
    </form>
  );
}
