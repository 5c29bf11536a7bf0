import type { Metadata } from "next";
import { getInviteLanding } from "@/lib/dal/invites";
import { AcceptSignedInForm, ExistingAccountForm, NewAccountForm } from "./accept-forms";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Join a team" };

const GONE = {
  unknown: { title: "This invite link is not valid", body: "Check that you opened the whole link from the email, or ask a team admin to invite you again." },
  expired: { title: "This invite has expired", body: "Invites work for 7 days. Ask a team admin to send you a new one." },
  revoked: { title: "This invite was withdrawn", body: "A team admin revoked it. Ask them if you still need access." },
  accepted: { title: "This invite has already been used", body: "If it was you, sign in to open your team." },
  inviter_lost: { title: "This invite no longer works", body: "The person who sent it can no longer manage the team. Ask a current team admin to invite you again." },
} as const;

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invite = await getInviteLanding(token);
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4 py-8">
      <p className="mb-1 text-sm font-semibold text-indigo-700 dark:text-indigo-400">Runboard</p>
      {invite.state !== "open" ? (
        <div role="alert">
          <h1 className="mb-2 text-2xl font-semibold">{GONE[invite.state].title}</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">{GONE[invite.state].body}</p>
          <TextLink href="/sign-in" className="mt-6 inline-block text-sm">
            Go to sign in
          </TextLink>
        </div>
      ) : (
        <>
          <h1 className="mb-1 text-2xl font-semibold">Join {invite.teamName}</h1>
          <p className="mb-6 text-sm text-zinc-600 dark:text-zinc-400">
            You are invited as {invite.role === "admin" ? "an admin" : `a ${invite.role}`} of {invite.teamName}.
            {invite.hasAccount ? " Sign in to accept." : " Set your name and a password to create your account."}
          </p>
          {invite.signedIn?.isInvitee ? (
            <AcceptSignedInForm token={token} teamName={invite.teamName} />
          ) : (
            <>
              {invite.signedIn && (
                <p className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
                  You are signed in as {invite.signedIn.email}; this invite is for {invite.email}. Accepting signs you in as {invite.email}.
                </p>
              )}
              {invite.hasAccount ? <ExistingAccountForm token={token} email={invite.email} /> : <NewAccountForm token={token} email={invite.email} />}
            </>
          )}
        </>
      )}
    </main>
  );
}
