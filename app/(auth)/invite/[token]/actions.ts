"use server";

import { AuthError } from "next-auth";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn } from "@/lib/auth/config";
import { acceptInviteSignedIn, acceptInviteWithNewAccount, acceptInviteWithPassword, type AcceptOutcome } from "@/lib/dal/invites";
import { ATTEMPT_LIMITS, bucket, guardedAttempt, tooManyAttemptsMessage } from "@/lib/security/attempts";
import { clientAddress } from "@/lib/security/client-address";

/**
 * Accepting needs no session (the token is the credential), so these are not team actions: each
 * one checks the token inside the transaction that joins the team.
 */
export type AcceptState = { error: string; fieldErrors?: Record<string, string[]> } | null;

const token = z.string().min(1).max(200);
const newAccount = z.object({
  token,
  name: z.string().trim().min(1, "Enter your name.").max(100, "Keep your name under 100 characters."),
  password: z.string().min(10, "Use at least 10 characters.").max(200, "Use at most 200 characters."),
});
const existing = z.object({ token, password: z.string().min(1, "Enter your password.").max(200) });

async function signInAndGo(email: string, password: string): Promise<AcceptState> {
  try {
    await signIn("credentials", { email, password, redirectTo: "/projects" });
  } catch (error) {
    if (error instanceof AuthError) return { error: "You joined the team, but signing in failed. Sign in with your new password." };
    throw error; // the redirect after signing in
  }
  return null;
}

/**
 * An accept is a guess at the token (and, for an existing account, at its password): limited per
 * link and per client address; a successful accept gives its tokens back.
 */
async function limited(inviteToken: string, accept: () => Promise<AcceptOutcome>): Promise<AcceptOutcome | { ok: false; throttled: number }> {
  const address = clientAddress(await headers());
  const buckets = [bucket("invite-address", address, ATTEMPT_LIMITS.inviteAddress()), bucket("invite-token", inviteToken, ATTEMPT_LIMITS.inviteToken())];
  const attempt = await guardedAttempt(buckets, accept, (outcome) => outcome.ok);
  return attempt.ok ? attempt.value : { ok: false, throttled: attempt.retryAfterSeconds };
}

function refusal(outcome: Exclude<AcceptOutcome, { ok: true }> | { ok: false; throttled: number }): AcceptState {
  return { error: "throttled" in outcome ? tooManyAttemptsMessage(outcome.throttled) : outcome.message };
}

export async function acceptWithNewAccountAction(_prev: AcceptState, form: FormData): Promise<AcceptState> {
  const parsed = newAccount.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Please correct the highlighted fields.", fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]> };
  const outcome = await limited(parsed.data.token, () => acceptInviteWithNewAccount(parsed.data.token, parsed.data.name, parsed.data.password));
  if (!outcome.ok) return refusal(outcome);
  return signInAndGo(outcome.email, parsed.data.password);
}

export async function acceptWithPasswordAction(_prev: AcceptState, form: FormData): Promise<AcceptState> {
  const parsed = existing.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Enter your password.", fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]> };
  const outcome = await limited(parsed.data.token, () => acceptInviteWithPassword(parsed.data.token, parsed.data.password));
  if (!outcome.ok) return refusal(outcome);
  return signInAndGo(outcome.email, parsed.data.password);
}

export async function acceptSignedInAction(_prev: AcceptState, form: FormData): Promise<AcceptState> {
  const parsed = z.object({ token }).safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "This invite link is not valid." };
  const outcome = await limited(parsed.data.token, () => acceptInviteSignedIn(parsed.data.token));
  if (!outcome.ok) return refusal(outcome);
  redirect("/projects");
}
