"use server";

import { redirect } from "next/navigation";
import { ActionRefusal, publicAction } from "@/lib/actions/safe-action";
import { resetPassword, resetSubmitInput } from "@/lib/dal/password-reset";

/** The link's token is the credential; a used, expired or unknown one changes nothing. */
export const resetPasswordAction = publicAction(resetSubmitInput, async ({ token, newPassword }) => {
  const outcome = await resetPassword(token, newPassword);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.state });
  redirect("/sign-in?reset=done");
});
