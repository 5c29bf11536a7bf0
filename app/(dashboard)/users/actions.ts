"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, instanceAction } from "@/lib/actions/safe-action";
import { setUserDisabled } from "@/lib/dal/instance-users";

const input = z.object({ userId: z.uuid("That account no longer exists."), disabled: z.enum(["true", "false"]).transform((v) => v === "true") });

/** Disable or enable an account (instance owner only); the DAL checks the permission again. */
export const setUserDisabledAction = instanceAction("users:manage", input, async ({ userId, disabled }) => {
  const outcome = await setUserDisabled(userId, disabled);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code });
  revalidatePath("/users");
  return {
    message: disabled
      ? `Disabled ${outcome.email}: ${outcome.sessionsEnded === 1 ? "1 session" : `${outcome.sessionsEnded} sessions`} ended, API keys stopped.`
      : `Enabled ${outcome.email}: they can sign in again.`,
  };
});
