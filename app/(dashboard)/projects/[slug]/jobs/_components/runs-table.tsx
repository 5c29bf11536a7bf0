"use client";

import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { DataTable } from "@/app/(dashboard)/_components/ui/data-table";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import type { RunListItem } from "@/lib/dal/runs";

const features = tableFeatures({});
const helper = createColumnHelper<typeof features, RunListItem & { projectSlug: string }>();
const columns = helper.columns([
  helper.accessor("id", {
    header: "Run",
    cell: (info) => (
      <TextLink href={`/projects/${info.row.original.projectSlug}/runs/${info.getValue()}`} className="font-mono">
        {info.getValue().slice(0, 8)}
      </TextLink>
    ),
  }),
  // Status next to the run: on a phone the table scrolls, and the status is what people look for.
  helper.accessor("status", { header: "Status", cell: (info) => <StatusBadge status={info.getValue()} scheduledFor={info.row.original.scheduledFor} /> }),
  helper.accessor("jobLabel", { header: "Job" }),
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
  return (
    <DataTable
      table={table}
      empty={<p className="text-sm text-zinc-600 dark:text-zinc-400">No runs yet. Run a job above and it shows up here.</p>}
      rowProps={() => ({ "data-testid": "run-row" })}
    />
  );
}
