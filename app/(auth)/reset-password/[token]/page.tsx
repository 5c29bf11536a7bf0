import type { Metadata } from "next";
import { getResetLanding, RESET_REFUSALS } from "@/lib/dal/password-reset";
import { ResetForm } from "./reset-form";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Choose a new password" };

export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const landing = await getResetLanding(token);
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4 py-8">
      <p className="mb-1 text-sm font-semibold text-indigo-700 dark:text-indigo-400">Runboard</p>
      {landing.state !== "open" || !landing.email ? (
        <div role="alert">
          <h1 className="mb-2 text-2xl font-semibold">This link cannot be used</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">{RESET_REFUSALS[landing.state === "open" ? "unknown" : landing.state]}</p>
          <TextLink href="/forgot-password" className="mt-6 inline-block text-sm">
            Ask for a new link
          </TextLink>
        </div>
      ) : (
        <>
          <h1 className="mb-1 text-2xl font-semibold">Choose a new password</h1>
          <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">
            For {landing.email}. Saving it signs out every session of this account, then you sign in with the new password.
          </p>
          <ResetForm token={token} email={landing.email} />
        </>
      )}
    </main>
  );
}
