import type { Metadata } from "next";
import Link from "next/link";
import { ForgotForm } from "./forgot-form";

export const metadata: Metadata = { title: "Forgot password" };

export default function ForgotPasswordPage() {
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
      <p className="mb-1 text-sm font-semibold text-indigo-700 dark:text-indigo-400">Runboard</p>
      <h1 className="mb-1 text-2xl font-semibold">Forgot your password?</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">Enter the email you sign in with and we will send you a link to choose a new password.</p>
      <ForgotForm />
      <Link href="/sign-in" className="mt-6 text-sm text-indigo-700 hover:underline dark:text-indigo-400">
        Back to sign in
      </Link>
    </main>
  );
}
