"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { ActionRefusal, publicAction } from "@/lib/actions/safe-action";
import { resetPassword, resetSubmitInput } from "@/lib/dal/password-reset";
import { ATTEMPT_LIMITS, bucket, guardedAttempt, tooManyAttemptsMessage } from "@/lib/security/attempts";
import { clientAddress } from "@/lib/security/client-address";

/** The link's token is the credential; a used, expired or unknown one changes nothing. Guesses are limited per link and per address. */
export const resetPasswordAction = publicAction(resetSubmitInput, async ({ token, newPassword }) => {
  const buckets = [bucket("reset-address", clientAddress(await headers()), ATTEMPT_LIMITS.resetAddress()), bucket("reset-token", token, ATTEMPT_LIMITS.inviteToken())];
  const attempt = await guardedAttempt(buckets, () => resetPassword(token, newPassword), (outcome) => outcome.ok);
  if (!attempt.ok) throw new ActionRefusal(tooManyAttemptsMessage(attempt.retryAfterSeconds));
  const outcome = attempt.value;
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.state });
  redirect("/sign-in?reset=done");
});
