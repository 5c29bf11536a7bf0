"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { createWebhookEndpointAction } from "../actions";
import { EventCheckboxes } from "./event-checkboxes";
import { SecretReveal } from "./secret-reveal";

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

function Errors({ messages }: { messages?: string[] }) {
  return messages?.map((m) => (
    <span key={m} className="mt-1 block text-sm text-red-600 dark:text-red-400">
      {m}
    </span>
  ));
}

/** Register an endpoint; its signing secret is shown once, until the page is left. */
export function CreateEndpointForm({ teamSlug }: { teamSlug: string }) {
  const [state, action, pending] = useSafeAction(createWebhookEndpointAction);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <section aria-labelledby="new-endpoint" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <h2 id="new-endpoint" className="font-medium">
        New endpoint
      </h2>
      <form action={action} className="mt-3 grid gap-4 sm:grid-cols-2" aria-label="Add webhook endpoint">
        <input type="hidden" name="teamSlug" value={teamSlug} />
        <label className="block text-sm font-medium sm:col-span-2">
          URL
          <input name="url" type="url" required maxLength={2048} placeholder="https://example.com/runboard-events" className={input} />
          <Errors messages={errors.url} />
        </label>
        <label className="block text-sm font-medium">
          Description <span className="font-normal text-zinc-500">(optional)</span>
          <input name="description" maxLength={200} placeholder="e.g. on-call bot" className={input} />
          <Errors messages={errors.description} />
        </label>
        <div>
          <EventCheckboxes />
          <Errors messages={errors.events} />
        </div>
        <div className="sm:col-span-2">
          <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
            {pending ? "Adding…" : "Add endpoint"}
          </button>
        </div>
      </form>
      {state && !state.ok && (
        <p role="alert" className="mt-2 text-sm text-red-600 dark:text-red-400">
          {state.error}
        </p>
      )}
      {state?.ok && <SecretReveal title={`Endpoint ${state.data.url} added.`} secret={state.data.secret} />}
    </section>
  );
}
