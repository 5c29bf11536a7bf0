import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/dal/users";
import { safeDestination } from "@/lib/security/safe-redirect";
import { SignInForm } from "./sign-in-form";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; reset?: string }> }) {
  const { callbackUrl, reset } = await searchParams;
  const destination = safeDestination(callbackUrl);
  if (await getCurrentUser()) redirect(destination);
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
      <h1 className="mb-1 text-2xl font-semibold">Runboard</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">Sign in to see and run your team&apos;s jobs.</p>
      {reset === "done" && (
        <p role="status" className="mb-4 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-200">
          Your password is changed and every session was signed out. Sign in with the new password.
        </p>
      )}
      <SignInForm callbackUrl={destination} />
      <TextLink href="/forgot-password" className="mt-4 text-center text-sm">
        Forgot password?
      </TextLink>
    </main>
  );
}
