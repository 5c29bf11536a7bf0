"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, teamAction } from "@/lib/actions/safe-action";
import { createAlertRule, deleteAlertRule, updateAlertRule, type AlertRuleRefusal } from "@/lib/dal/alerts";

const ruleRef = z.object({ teamSlug: z.string(), ruleId: z.uuid("That alert rule does not exist.") });
const refresh = (teamSlug: string) => revalidatePath(`/teams/${teamSlug}/settings/alerts`);
const gone = () => new ActionRefusal("That alert rule does not exist (it may have been deleted).", { code: "not_found" });
const refused = (r: AlertRuleRefusal) => new ActionRefusal(r.message, { code: r.code, fieldErrors: r.fieldErrors });

// Bounds here only keep a hostile form small; the DAL validates every field with its own messages.
const ruleForm = z.object({
  teamSlug: z.string(),
  name: z.string().max(1000, "Keep the name under 100 characters."),
  project: z.string().max(200).optional(),
  recipients: z.string().max(20).optional(),
  throttleMinutes: z.string().max(20).optional(),
});

/** The form's fields as the DAL's input; checkboxes arrive as repeated fields the wrapper reads only once. */
function ruleInput(input: z.output<typeof ruleForm>, form: FormData) {
  const all = (key: string) => form.getAll(key).filter((v): v is string => typeof v === "string").slice(0, 100);
  const minutes = input.throttleMinutes?.trim() ?? "";
  return {
    name: input.name,
    jobTypes: all("jobTypes"),
    project: input.project ? input.project : null,
    statuses: all("statuses"),
    recipients: input.recipients,
    recipientIds: all("recipientIds"),
    // "" or "abc" stays a string, so the DAL refuses it with its throttle message.
    throttleMinutes: /^\d{1,6}$/.test(minutes) ? Number(minutes) : minutes,
  };
}

/** Add a rule for the team. */
export const createAlertRuleAction = teamAction("team:manage", ruleForm, async (input, { form }) => {
  const created = await createAlertRule(input.teamSlug, ruleInput(input, form));
  if (!created.ok) throw refused(created);
  refresh(input.teamSlug);
  return { message: `Alert rule "${created.rule.name}" added.` };
});

/** Save an edited rule (every field of the form). */
export const updateAlertRuleAction = teamAction("team:manage", ruleForm.extend({ ruleId: ruleRef.shape.ruleId }), async (input, { form }) => {
  const updated = await updateAlertRule(input.teamSlug, input.ruleId, ruleInput(input, form));
  if (!updated) throw gone();
  if (!updated.ok) throw refused(updated);
  refresh(input.teamSlug);
  return { message: `Alert rule "${updated.rule.name}" saved.` };
});

export const setAlertRuleEnabledAction = teamAction("team:manage", ruleRef.extend({ enabled: z.enum(["true", "false"]) }), async (input) => {
  const updated = await updateAlertRule(input.teamSlug, input.ruleId, { enabled: input.enabled === "true" });
  if (!updated) throw gone();
  if (!updated.ok) throw refused(updated);
  refresh(input.teamSlug);
  return { message: updated.rule.enabled ? `"${updated.rule.name}" enabled: failures alert again.` : `"${updated.rule.name}" disabled: it sends nothing until enabled.` };
});

export const deleteAlertRuleAction = teamAction("team:manage", ruleRef, async (input) => {
  if ((await deleteAlertRule(input.teamSlug, input.ruleId)) === "not_found") throw gone();
  refresh(input.teamSlug);
  return { message: "Alert rule deleted." };
});
