"use server";

import { publicAction } from "@/lib/actions/safe-action";
import { requestPasswordReset, RESET_TTL_MINUTES, resetRequestInput } from "@/lib/dal/password-reset";

/** The same answer whether or not the address has an account: this form must not find accounts. */
export const requestResetAction = publicAction(resetRequestInput, async ({ email }) => {
  await requestPasswordReset(email);
  return { message: `If ${email} belongs to an account, a link to choose a new password is on its way. It works once, for ${RESET_TTL_MINUTES} minutes.` };
});
