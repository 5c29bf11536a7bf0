"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { DataTable } from "@/app/(dashboard)/_components/ui/data-table";
import { GRANTABLE_PERMISSIONS } from "@/lib/auth/permissions";
import type { TeamRole } from "@/lib/db/schema";
import type { MemberView } from "@/lib/dal/teams";
import { GrantsEditor, RemoveMember, RoleSelect } from "./member-controls";

type Row = MemberView & { teamSlug: string; youRole: TeamRole };

/** The roles a manager may pick for a row; an admin cannot touch owners nor make one. */
function rolesFor(row: Row): readonly TeamRole[] | null {
  if (row.youRole === "owner") return ["owner", "admin", "member"];
  return row.role === "owner" ? null : ["admin", "member"];
}

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, Row>();
const columns = helper.columns([
  helper.accessor("name", {
    header: "Member",
    cell: (info) => (
      <div className="min-w-0">
        <span className="font-medium">{info.getValue()}</span>
        {info.row.original.isYou && <span className="ml-1.5 rounded bg-zinc-200 px-1.5 py-0.5 text-xs dark:bg-zinc-800">you</span>}
        <span className="block truncate text-xs text-zinc-600 dark:text-zinc-400">{info.row.original.email}</span>
      </div>
    ),
  }),
  helper.accessor("role", {
    header: "Role",
    cell: (info) => {
      const row = info.row.original;
      const roles = rolesFor(row);
      return roles ? (
        <RoleSelect teamSlug={row.teamSlug} userId={row.userId} name={row.name} role={row.role} roles={roles} />
      ) : (
        <span title="Only an owner can change an owner's role">{row.role}</span>
      );
    },
  }),
  helper.accessor("grants", {
    header: "Grants",
    cell: (info) => {
      const row = info.row.original;
      if (row.role !== "member") return <span className="text-xs text-zinc-600 dark:text-zinc-400">all, from the {row.role} role</span>;
      return <GrantsEditor teamSlug={row.teamSlug} userId={row.userId} name={row.name} grants={row.grants} grantable={GRANTABLE_PERMISSIONS} />;
    },
  }),
  helper.accessor("permissions", {
    header: "Can",
    cell: (info) =>
      info.getValue().length === 0 ? (
        <span className="text-xs text-zinc-600 dark:text-zinc-400">nothing yet</span>
      ) : (
        <ul className="flex flex-wrap gap-1" aria-label={`Effective permissions of ${info.row.original.name}`}>
          {info.getValue().map((p) => (
            <li key={p} className="rounded bg-indigo-50 px-1.5 py-0.5 font-mono text-xs text-indigo-800 dark:bg-indigo-950 dark:text-indigo-300">
              {p}
            </li>
          ))}
        </ul>
      ),
  }),
  helper.display({
    id: "actions",
    header: "",
    cell: (info) => {
      const row = info.row.original;
      if (row.role === "owner" && row.youRole !== "owner") return null;
      return <RemoveMember teamSlug={row.teamSlug} userId={row.userId} name={row.name} isYou={row.isYou} />;
    },
  }),
]);

/** Members with their role, grants and what they can do; a stacked card per member on narrow screens. */
export function MembersTable({ members, teamSlug, youRole }: { members: MemberView[]; teamSlug: string; youRole: TeamRole }) {
  const data = members.map((m) => ({ ...m, teamSlug, youRole }));
  // Rows keyed by user: a member whose role changes moves, and their controls move with them.
  const table = useTable({ features, columns, data, getRowId: (row) => row.userId });
  return <DataTable table={table} layout="stacked" rowProps={() => ({ "data-testid": "member-row" })} />;
}
