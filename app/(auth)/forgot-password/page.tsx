import type { Metadata } from "next";
import { ForgotForm } from "./forgot-form";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Forgot password" };

export default function ForgotPasswordPage() {
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
      <p className="mb-1 text-sm font-semibold text-indigo-700 dark:text-indigo-400">Runboard</p>
      <h1 className="mb-1 text-2xl font-semibold">Forgot your password?</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">Enter the email you sign in with and we will send you a link to choose a new password.</p>
      <ForgotForm />
      <TextLink href="/sign-in" className="mt-6 text-sm">
        Back to sign in
      </TextLink>
    </main>
  );
}
