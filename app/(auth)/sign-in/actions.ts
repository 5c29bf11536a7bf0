"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { z } from "zod";
import { signIn, SignInThrottled } from "@/lib/auth/config";
import { tooManyAttemptsMessage } from "@/lib/security/attempts";
import { safeDestination } from "@/lib/security/safe-redirect";

export type SignInState = { error: string; email: string } | null;

const input = z.object({ email: z.string().trim().min(1, "Enter your email"), password: z.string().min(1, "Enter your password"), callbackUrl: z.string().optional() });

export async function signInAction(_prev: SignInState, form: FormData): Promise<SignInState> {
  const parsed = input.safeParse(Object.fromEntries(form));
  const email = typeof form.get("email") === "string" ? String(form.get("email")).slice(0, 320) : "";
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "Enter your email and password", email };
  try {
    await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirectTo: safeDestination(parsed.data.callbackUrl) });
    return null;
  } catch (error) {
    if (error instanceof SignInThrottled) return { error: tooManyAttemptsMessage(error.retryAfterSeconds), email };
    if (error instanceof CredentialsSignin && error.code === "disabled") return { error: "This account is disabled. Ask your Runboard administrator to enable it.", email };
    if (error instanceof AuthError) return { error: "That email and password do not match an account.", email };
    throw error; // the redirect after a successful sign-in
  }
}
