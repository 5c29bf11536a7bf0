"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
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
  return (
    <div className="overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table className="w-full text-sm">
        <thead className="hidden bg-zinc-100 sm:table-header-group dark:bg-zinc-900">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col" className="px-3 py-2 text-left font-medium whitespace-nowrap">
                  {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950">
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id} data-testid="member-row" className="block px-3 py-2 sm:table-row sm:p-0">
              {row.getAllCells().map((cell) => {
                const label = typeof cell.column.columnDef.header === "string" ? cell.column.columnDef.header : "";
                return (
                  <td key={cell.id} className="flex items-start gap-3 py-1 align-top sm:table-cell sm:px-3 sm:py-2">
                    {label && cell.column.id !== "name" && <span className="w-16 shrink-0 pt-1 text-xs text-zinc-500 sm:hidden">{label}</span>}
                    <table.FlexRender cell={cell} />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
