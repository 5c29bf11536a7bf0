"use client";

import { useSafeAction } from "@/lib/actions/use-safe-action";
import { ActionFeedback, useTeamAction } from "../../_components/use-team-action";
import { deleteWebhookEndpointAction, rotateWebhookSecretAction, setWebhookEnabledAction, setWebhookEventsAction } from "../actions";
import type { WebhookEvent } from "@/lib/webhooks/events";
import { EventCheckboxes } from "./event-checkboxes";
import { SecretReveal } from "./secret-reveal";

const button = "rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";

/** Enable/disable, events, rotate the secret, delete: each a server action through the one wrapper. */
export function EndpointControls({ teamSlug, endpointId, url, enabled, events }: { teamSlug: string; endpointId: string; url: string; enabled: boolean; events: WebhookEvent[] }) {
  const toggle = useTeamAction(setWebhookEnabledAction);
  const remove = useTeamAction(deleteWebhookEndpointAction);
  const [rotated, rotate, rotating] = useSafeAction(rotateWebhookSecretAction);
  const [saved, saveEvents, saving] = useSafeAction(setWebhookEventsAction);
  const ref = { teamSlug, endpointId };
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className={button} disabled={toggle.pending} onClick={() => toggle.run({ ...ref, enabled: String(!enabled) })}>
          {enabled ? "Disable" : "Enable"}
        </button>
        <form
          action={rotate}
          onSubmit={(event) => {
            if (!window.confirm("Rotate the signing secret? Deliveries are signed with the new secret from now on; update your receiver.")) event.preventDefault();
          }}
        >
          <input type="hidden" name="teamSlug" value={teamSlug} />
          <input type="hidden" name="endpointId" value={endpointId} />
          <button type="submit" className={button} disabled={rotating}>
            {rotating ? "Rotating…" : "Rotate secret"}
          </button>
        </form>
        <button
          type="button"
          aria-label={`Delete ${url}`}
          disabled={remove.pending}
          onClick={() => {
            if (window.confirm(`Delete the endpoint ${url}? Nothing more is sent to it, and its delivery history goes with it.`)) remove.run(ref);
          }}
          className="rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
        >
          {remove.pending ? "Deleting…" : "Delete"}
        </button>
      </div>
      <ActionFeedback result={toggle.result} />
      <ActionFeedback result={remove.result} />
      {rotated && !rotated.ok && (
        <p role="alert" className="text-xs text-red-700 dark:text-red-400">
          {rotated.error}
        </p>
      )}
      {rotated?.ok && <SecretReveal title="Secret rotated." secret={rotated.data.secret} />}
      <details className="text-sm">
        <summary className="cursor-pointer text-xs text-zinc-600 dark:text-zinc-400">Change events</summary>
        <form action={saveEvents} className="mt-2 flex flex-wrap items-end gap-3" aria-label={`Events for ${url}`}>
          <input type="hidden" name="teamSlug" value={teamSlug} />
          <input type="hidden" name="endpointId" value={endpointId} />
          <EventCheckboxes checked={events} legend="Send" />
          <button type="submit" className={button} disabled={saving}>
            {saving ? "Saving…" : "Save events"}
          </button>
        </form>
        {saved && (saved.ok ? <p role="status" className="mt-1 text-xs text-emerald-700 dark:text-emerald-400">{saved.data.message}</p> : <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{saved.error}</p>)}
      </details>
    </div>
  );
}
