import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/dal/users";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if (await getCurrentUser()) redirect("/projects");
  const { callbackUrl } = await searchParams;
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
      <h1 className="mb-1 text-2xl font-semibold">Runboard</h1>
      <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">Sign in to see and run your team&apos;s jobs.</p>
      <SignInForm callbackUrl={callbackUrl} />
    </main>
  );
}
