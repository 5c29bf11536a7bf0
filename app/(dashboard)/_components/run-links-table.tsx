"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import Link from "next/link";
import type { RunStatus } from "@/lib/db/schema";
import { formatDuration, formatTimestamp } from "./format";
import { StatusBadge } from "./status-badge";

/** A run as the resource page and the error explorer list it, with the link to its page. */
export type RunLinkRow = {
  id: string;
  href: string | null;
  where: string | null;
  jobLabel: string;
  status: RunStatus;
  attempts: number;
  queuedAt: string;
  durationMs: number | null;
  message: string | null;
};

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, RunLinkRow>();

/** One server-fetched keyset page of runs (paging is by cursor links, not client-side). */
export function RunLinksTable({ rows, showWhere, empty }: { rows: RunLinkRow[]; showWhere: boolean; empty: string }) {
  const columns = helper.columns([
    helper.accessor("id", {
      header: "Run",
      cell: (info) => {
        const href = info.row.original.href;
        const id = <span className="font-mono">{info.getValue().slice(0, 8)}</span>;
        return href ? (
          <Link href={href} className="text-indigo-700 hover:underline dark:text-indigo-400">
            {id}
          </Link>
        ) : (
          id
        );
      },
    }),
    ...(showWhere ? [helper.accessor("where", { header: "Team / project", cell: (info) => info.getValue() ?? "system" })] : []),
    helper.accessor("jobLabel", { header: "Job" }),
    helper.accessor("status", { header: "Status", cell: (info) => <StatusBadge status={info.getValue()} /> }),
    helper.accessor("attempts", { header: "Attempts" }),
    helper.accessor("queuedAt", { header: "Queued", cell: (info) => <time dateTime={info.getValue()}>{formatTimestamp(info.getValue())}</time> }),
    helper.accessor("durationMs", { header: "Duration", cell: (info) => formatDuration(info.getValue()) }),
    helper.accessor("message", { header: "Error", cell: (info) => <span className="block max-w-md truncate text-red-700 dark:text-red-400" title={info.getValue() ?? undefined}>{info.getValue() ?? ""}</span> }),
  ]);
  const table = useTable({ features, columns, data: rows });
  if (rows.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">{empty}</p>;
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
        <thead className="bg-zinc-100 dark:bg-zinc-900">
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
            <tr key={row.id} data-testid="run-row">
              {row.getAllCells().map((cell) => (
                <td key={cell.id} className="px-3 py-2 whitespace-nowrap">
                  <table.FlexRender cell={cell} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
