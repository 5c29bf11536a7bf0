"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { ActionRefusal, teamAction } from "@/lib/actions/safe-action";
import { changeMemberRole, inviteMember, removeMember, revokeInvite, setMemberGrants, type TeamMutation } from "@/lib/dal/teams";
import { ROLE_OPTIONS } from "@/lib/teams/rules";

type Done = { message: string };

/** A refusal becomes the user-facing error; a change refreshes the settings pages. */
function settle<T>(result: TeamMutation<T>, teamSlug: string, message: string): Done {
  if (!result.ok) throw new ActionRefusal(result.message, { code: result.code });
  revalidatePath(`/teams/${teamSlug}/settings`, "layout");
  return { message };
}

/** Checkbox groups post one value per ticked box; the wrapper's parse keeps only the first. */
const grantsFrom = (form: FormData) => form.getAll("grants").map(String);

const member = z.object({ teamSlug: z.string(), userId: z.uuid() });

export const changeRoleAction = teamAction("team:manage", member.extend({ role: z.enum(ROLE_OPTIONS) }), async (input) =>
  settle(await changeMemberRole(input.teamSlug, input.userId, input.role), input.teamSlug, `Role changed to ${input.role}.`),
);

export const setGrantsAction = teamAction("team:manage", member, async (input, { form }) =>
  settle(await setMemberGrants(input.teamSlug, input.userId, grantsFrom(form)), input.teamSlug, "Permissions saved."),
);

export const removeMemberAction = teamAction("team:manage", member, async (input, { access }) => {
  const done = settle(await removeMember(input.teamSlug, input.userId), input.teamSlug, "Member removed.");
  // Whoever removed themselves can no longer see this page.
  if (input.userId === access.user.id) redirect("/projects");
  return done;
});

const inviteInput = z.object({
  teamSlug: z.string(),
  email: z.email("Enter a valid email address.").max(320),
  role: z.enum(ROLE_OPTIONS, "Choose a role."),
});

export const inviteAction = teamAction("team:manage", inviteInput, async (input, { form }) => {
  const result = await inviteMember(input.teamSlug, input.email, input.role, grantsFrom(form));
  return settle(result, input.teamSlug, `Invite sent to ${input.email.trim().toLowerCase()}.`);
});

export const revokeInviteAction = teamAction("team:manage", z.object({ teamSlug: z.string(), inviteId: z.uuid() }), async (input) =>
  settle(await revokeInvite(input.teamSlug, input.inviteId), input.teamSlug, "Invite withdrawn."),
);
