"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, teamAction } from "@/lib/actions/safe-action";
import { createWebhookEndpoint, deleteWebhookEndpoint, rotateWebhookSecret, updateWebhookEndpoint, WEBHOOK_EVENTS } from "@/lib/dal/webhooks";

const endpointRef = z.object({ teamSlug: z.string(), endpointId: z.uuid("That endpoint does not exist.") });
const eventsOf = (form: FormData) => z.array(z.enum(WEBHOOK_EVENTS)).min(1).safeParse(form.getAll("events"));
const refresh = (teamSlug: string) => revalidatePath(`/teams/${teamSlug}/settings/webhooks`, "layout");
const gone = () => new ActionRefusal("That endpoint does not exist (it may have been deleted).", { code: "not_found" });

const createInput = z.object({
  teamSlug: z.string(),
  // The DAL validates the URL and description again, with the same messages.
  url: z.string().max(2048, "Keep the URL under 2048 characters."),
  description: z.string().max(200, "Keep the description under 200 characters.").optional(),
});

/** Register an endpoint; the signing secret comes back in this one result only. */
export const createWebhookEndpointAction = teamAction("team:manage", createInput, async (input, { form }) => {
  // Checkboxes arrive as repeated `events` fields; the wrapper reads only the first of each name.
  const events = eventsOf(form);
  if (!events.success) throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: { events: ["Choose at least one event."] } });
  const created = await createWebhookEndpoint(input.teamSlug, { url: input.url, description: input.description ?? "", events: events.data }).catch((error: unknown) => {
    if (error instanceof z.ZodError) throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: z.flattenError(error).fieldErrors as Record<string, string[]> });
    throw error;
  });
  if ("ok" in created) throw new ActionRefusal(created.message, { code: created.code });
  refresh(input.teamSlug);
  return { id: created.endpoint.id, url: created.endpoint.url, secret: created.secret };
});

const toggleInput = endpointRef.extend({ enabled: z.enum(["true", "false"]) });

export const setWebhookEnabledAction = teamAction("team:manage", toggleInput, async (input) => {
  const updated = await updateWebhookEndpoint(input.teamSlug, input.endpointId, { enabled: input.enabled === "true" });
  if (!updated) throw gone();
  refresh(input.teamSlug);
  return { message: updated.enabled ? "Endpoint enabled: new run ends are sent to it." : "Endpoint disabled: nothing more is sent to it." };
});

export const setWebhookEventsAction = teamAction("team:manage", endpointRef, async (input, { form }) => {
  const events = eventsOf(form);
  if (!events.success) throw new ActionRefusal("Choose at least one event.", { code: "invalid", fieldErrors: { events: ["Choose at least one event."] } });
  const updated = await updateWebhookEndpoint(input.teamSlug, input.endpointId, { events: events.data });
  if (!updated) throw gone();
  refresh(input.teamSlug);
  return { message: "Events saved." };
});

export const rotateWebhookSecretAction = teamAction("team:manage", endpointRef, async (input) => {
  const rotated = await rotateWebhookSecret(input.teamSlug, input.endpointId);
  if (!rotated) throw gone();
  refresh(input.teamSlug);
  return { secret: rotated.secret };
});

export const deleteWebhookEndpointAction = teamAction("team:manage", endpointRef, async (input) => {
  if ((await deleteWebhookEndpoint(input.teamSlug, input.endpointId)) === "not_found") throw gone();
  refresh(input.teamSlug);
  return { message: "Endpoint deleted." };
});
