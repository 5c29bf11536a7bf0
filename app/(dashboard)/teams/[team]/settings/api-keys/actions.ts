"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, teamAction } from "@/lib/actions/safe-action";
import { createApiKey, revokeApiKey, type CreatedApiKey } from "@/lib/dal/api-keys";
import { KEY_SCOPES } from "@/lib/auth/permissions";

const createInput = z.object({
  teamSlug: z.string(),
  name: z.string().trim().min(1, "Give the key a name.").max(80, "Keep the name under 80 characters."),
});

/** Create a key; the plaintext comes back in this one result and is never shown again. */
export const createApiKeyAction = teamAction("team:manage", createInput, async (input, { form }) => {
  // Checkboxes arrive as repeated `scopes` fields; the wrapper only reads the first of each name.
  const scopes = z.array(z.enum(KEY_SCOPES)).safeParse(form.getAll("scopes"));
  if (!scopes.success || scopes.data.length === 0) throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: { scopes: ["Choose at least one scope."] } });
  const created: CreatedApiKey = await createApiKey(input.teamSlug, { name: input.name, scopes: scopes.data });
  revalidatePath(`/teams/${input.teamSlug}/settings/api-keys`);
  return created;
});

const revokeInput = z.object({ teamSlug: z.string(), keyId: z.uuid() });

export const revokeApiKeyAction = teamAction("team:manage", revokeInput, async (input) => {
  const outcome = await revokeApiKey(input.teamSlug, input.keyId);
  if (outcome === "not_found") throw new ActionRefusal("That key does not exist or is already revoked.", { code: "not_found" });
  revalidatePath(`/teams/${input.teamSlug}/settings/api-keys`);
  return undefined;
});
