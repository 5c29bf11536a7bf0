import { WEBHOOK_EVENTS, type WebhookEvent } from "@/lib/webhooks/events";

/** The run-end events to send, as repeated `events` fields. */
export function EventCheckboxes({ checked = WEBHOOK_EVENTS, legend = "Events" }: { checked?: readonly WebhookEvent[]; legend?: string }) {
  return (
    <fieldset className="text-sm">
      <legend className="font-medium">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {WEBHOOK_EVENTS.map((event) => (
          <label key={event} className="flex items-center gap-1.5">
            <input type="checkbox" name="events" value={event} defaultChecked={checked.includes(event)} className="h-4 w-4" />
            <code>{event}</code>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
