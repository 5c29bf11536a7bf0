"use client";

import { useState } from "react";
import type { GrantablePermission } from "@/lib/auth/permissions";
import type { TeamRole } from "@/lib/db/schema";
import { inviteAction, revokeInviteAction } from "../actions";
import { ActionFeedback, useTeamAction } from "./use-team-action";

const field = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-900";

/** Invite by email: the invite goes out through the notifications outbox. */
export function InviteForm({ teamSlug, roles, grantable }: { teamSlug: string; roles: readonly TeamRole[]; grantable: readonly GrantablePermission[] }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<TeamRole>("member");
  const [grants, setGrants] = useState<GrantablePermission[]>(["jobs:read"]);
  const { result, pending, run } = useTeamAction(inviteAction);
  const emailError = result && !result.ok ? result.fieldErrors?.email?.[0] : undefined;
  return (
    <form
      aria-label="Invite someone"
      onSubmit={(e) => {
        e.preventDefault();
        run({ teamSlug, email, role, grants: role === "member" ? grants : [] }, { onDone: () => setEmail("") });
      }}
      className="space-y-3"
    >
      <div className="grid gap-3 sm:grid-cols-[1fr_10rem]">
        <label className="block text-sm font-medium">
          Email
          <input
            type="email"
            name="email"
            required
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={emailError ? true : undefined}
            aria-describedby={emailError ? "invite-email-error" : undefined}
            placeholder="name@example.com"
            className={field}
          />
          {emailError && (
            <span id="invite-email-error" className="mt-1 block text-xs text-red-700 dark:text-red-400">
              {emailError}
            </span>
          )}
        </label>
        <label className="block text-sm font-medium">
          Role
          <select name="role" value={role} onChange={(e) => setRole(e.target.value as TeamRole)} className={field}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </div>
      {role === "member" ? (
        <fieldset>
          <legend className="text-sm font-medium">Grants</legend>
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {grantable.map((p) => (
              <label key={p} className="inline-flex items-center gap-1.5 text-sm">
                <input
                  type="checkbox"
                  checked={grants.includes(p)}
                  onChange={(e) => setGrants(grantable.filter((g) => (g === p ? e.target.checked : grants.includes(g))))}
                  className="size-4 accent-indigo-600"
                />
                <span className="font-mono text-xs">{p}</span>
              </label>
            ))}
          </div>
        </fieldset>
      ) : (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">{role === "owner" ? "Owners" : "Admins"} hold every permission and manage the team.</p>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
          {pending ? "Sending…" : "Send invite"}
        </button>
        <ActionFeedback result={result && !result.ok && emailError ? null : result} />
      </div>
    </form>
  );
}

/** Withdraw an open invite; its link stops working at once. */
export function RevokeInvite({ teamSlug, inviteId, email }: { teamSlug: string; inviteId: string; email: string }) {
  const { result, pending, run } = useTeamAction(revokeInviteAction);
  return (
    <div className="text-sm">
      <button
        type="button"
        aria-label={`Revoke invite for ${email}`}
        disabled={pending}
        onClick={() => run({ teamSlug, inviteId })}
        className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800"
      >
        {pending ? "Revoking…" : "Revoke"}
      </button>
      <ActionFeedback result={result} className="mt-1" />
    </div>
  );
}
