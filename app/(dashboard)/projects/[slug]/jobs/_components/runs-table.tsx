"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import Link from "next/link";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import type { RunListItem } from "@/lib/dal/runs";

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, RunListItem & { projectSlug: string }>();
const columns = helper.columns([
  helper.accessor("id", {
    header: "Run",
    cell: (info) => (
      <Link href={`/projects/${info.row.original.projectSlug}/runs/${info.getValue()}`} className="font-mono text-indigo-700 hover:underline dark:text-indigo-400">
        {info.getValue().slice(0, 8)}
      </Link>
    ),
  }),
  helper.accessor("jobLabel", { header: "Job" }),
  helper.accessor("status", { header: "Status", cell: (info) => <StatusBadge status={info.getValue()} /> }),
  helper.accessor("percent", { header: "Progress", cell: (info) => (info.getValue() === null ? "—" : `${info.getValue()}%`) }),
  helper.accessor("attempts", { header: "Attempts" }),
  helper.accessor("queuedAt", { header: "Queued", cell: (info) => <time dateTime={info.getValue()}>{formatTimestamp(info.getValue())}</time> }),
  helper.accessor("durationMs", { header: "Duration", cell: (info) => formatDuration(info.getValue()) }),
  helper.accessor("triggeredBy", { header: "Triggered by", cell: (info) => info.getValue() ?? "schedule" }),
]);

/** One server-fetched page of runs; paging is by cursor links, not client-side slicing. */
export function RunsTable({ rows, projectSlug }: { rows: RunListItem[]; projectSlug: string }) {
  const data = rows.map((r) => ({ ...r, projectSlug }));
  const table = useTable({ features, columns, data });
  if (rows.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">No runs yet. Run a job above and it shows up here.</p>;
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
