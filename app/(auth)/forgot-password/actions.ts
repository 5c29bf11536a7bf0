"use server";

import { headers } from "next/headers";
import { ActionRefusal, publicAction } from "@/lib/actions/safe-action";
import { requestPasswordReset, RESET_TTL_MINUTES, resetRequestInput } from "@/lib/dal/password-reset";
import { guardedAttempt, resetBuckets, tooManyAttemptsMessage } from "@/lib/security/attempts";
import { clientAddress } from "@/lib/security/client-address";

/**
 * The same answer whether or not the address has an account: this form must not find accounts.
 * Every request counts against the address and the email (each may send mail), whether the
 * account exists or not, so the limit reveals nothing either.
 */
export const requestResetAction = publicAction(resetRequestInput, async ({ email }) => {
  const attempt = await guardedAttempt(resetBuckets(email, clientAddress(await headers())), () => requestPasswordReset(email), () => false);
  if (!attempt.ok) throw new ActionRefusal(tooManyAttemptsMessage(attempt.retryAfterSeconds));
  return { message: `If ${email} belongs to an account, a link to choose a new password is on its way. It works once, for ${RESET_TTL_MINUTES} minutes.` };
});
