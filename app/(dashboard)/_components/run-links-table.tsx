"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import type { RunStatus } from "@/lib/db/schema";
import { formatDuration, formatTimestamp } from "./format";
import { StatusBadge } from "./status-badge";
import { DataTable } from "./ui/data-table";
import { TextLink } from "./ui/text-link";

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
          <TextLink href={href}>{id}</TextLink>
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
  return <DataTable table={table} empty={<p className="text-sm text-zinc-600 dark:text-zinc-400">{empty}</p>} rowProps={() => ({ "data-testid": "run-row" })} />;
}
