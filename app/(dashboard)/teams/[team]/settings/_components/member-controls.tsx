"use client";

import { useState } from "react";
import type { GrantablePermission } from "@/lib/auth/permissions";
import type { TeamRole } from "@/lib/db/schema";
import { changeRoleAction, removeMemberAction, setGrantsAction } from "../actions";
import { ActionFeedback, useTeamAction } from "./use-team-action";

const field = "rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900";

/** A member's role; changing it applies at once (the server decides whether it may). */
export function RoleSelect({ teamSlug, userId, name, role, roles }: { teamSlug: string; userId: string; name: string; role: TeamRole; roles: readonly TeamRole[] }) {
  const [value, setValue] = useState(role);
  const { result, pending, run } = useTeamAction(changeRoleAction);
  return (
    <div>
      <select
        aria-label={`Role for ${name}`}
        value={value}
        disabled={pending}
        onChange={(e) => {
          const next = e.target.value as TeamRole;
          setValue(next);
          run({ teamSlug, userId, role: next }, { onRefused: () => setValue(role) });
        }}
        className={field}
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <ActionFeedback result={result} className="mt-1 max-w-56" />
    </div>
  );
}

/** Extra permissions for a member; each tick applies at once. */
export function GrantsEditor({ teamSlug, userId, name, grants, grantable }: { teamSlug: string; userId: string; name: string; grants: GrantablePermission[]; grantable: readonly GrantablePermission[] }) {
  const [value, setValue] = useState(grants);
  const { result, pending, run } = useTeamAction(setGrantsAction);
  return (
    <fieldset disabled={pending}>
      <legend className="sr-only">Permissions for {name}</legend>
      <div className="flex flex-wrap gap-x-3 gap-y-1">
        {grantable.map((p) => (
          <label key={p} className="inline-flex items-center gap-1.5 text-sm">
            <input
              type="checkbox"
              checked={value.includes(p)}
              onChange={(e) => {
                const next = grantable.filter((g) => (g === p ? e.target.checked : value.includes(g)));
                setValue(next);
                run({ teamSlug, userId, grants: next }, { onRefused: () => setValue(grants) });
              }}
              className="size-4 accent-indigo-600"
            />
            <span className="font-mono text-xs">{p}</span>
          </label>
        ))}
      </div>
      <ActionFeedback result={result} className="mt-1 max-w-56" />
    </fieldset>
  );
}

/** Remove from the team, after an inline confirmation. */
export function RemoveMember({ teamSlug, userId, name, isYou }: { teamSlug: string; userId: string; name: string; isYou: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const { result, pending, run } = useTeamAction(removeMemberAction);
  const label = isYou ? "Leave team" : "Remove";
  return (
    <div className="text-sm">
      {confirming ? (
        <div className="flex flex-wrap items-center gap-2">
          <span>{isYou ? "Leave this team?" : `Remove ${name}?`}</span>
          <button
            type="button"
            disabled={pending}
            onClick={() => run({ teamSlug, userId }, { onRefused: () => setConfirming(false) })}
            className="rounded-md bg-red-600 px-2 py-1 font-medium text-white hover:bg-red-500 disabled:opacity-60"
          >
            {pending ? "Removing…" : `Yes, ${label.toLowerCase()}`}
          </button>
          <button type="button" onClick={() => setConfirming(false)} className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          aria-label={isYou ? "Leave team" : `Remove ${name}`}
          onClick={() => setConfirming(true)}
          className="rounded-md border border-red-300 px-2 py-1 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-400 dark:hover:bg-red-950"
        >
          {label}
        </button>
      )}
      <ActionFeedback result={result} className="mt-1 max-w-56" />
    </div>
  );
}
