import { createColumnHelper, rowSelectionFeature, tableFeatures } from "@tanstack/react-table";
import Link from "next/link";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import type { HistoryRow } from "@/lib/dal/history";

export const historyFeatures = tableFeatures({ rowSelectionFeature });
const helper = createColumnHelper<typeof historyFeatures, HistoryRow>();

/** The history columns; the project column only on the monitor, the checkbox only for writers. */
export function historyColumns(showProject: boolean, selectable: boolean) {
  return helper.columns([
    ...(selectable
      ? [
          helper.display({
            id: "select",
            header: ({ table }) => (
              <input
                type="checkbox"
                aria-label="Select all runs on this page"
                checked={table.getIsAllRowsSelected()}
                onChange={table.getToggleAllRowsSelectedHandler()}
                className="size-4"
              />
            ),
            cell: ({ row }) => (
              <input type="checkbox" aria-label={`Select run ${row.original.id.slice(0, 8)}`} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} className="size-4" />
            ),
          }),
        ]
      : []),
    helper.accessor("id", {
      header: "Run",
      cell: (info) => (
        <TextLink href={`/projects/${info.row.original.project.slug}/runs/${info.getValue()}`} className="font-mono">
          {info.getValue().slice(0, 8)}
        </TextLink>
      ),
    }),
    // Status next to the run: on a phone the table scrolls, and the status is what people look for.
    helper.accessor("status", {
      header: "Status",
      cell: (info) => {
        const { progressPercent, stage } = info.row.original;
        const live = info.getValue() === "running" ? [progressPercent != null ? `${progressPercent}%` : null, stage].filter(Boolean).join(" · ") : "";
        return (
          <span className="inline-flex items-center gap-1.5 whitespace-nowrap">
            <StatusBadge status={info.getValue()} scheduledFor={info.row.original.scheduledFor} />
            {live && (
              <span className="max-w-40 truncate text-xs text-zinc-500" data-testid="history-row-progress">
                {live}
              </span>
            )}
          </span>
        );
      },
    }),
    ...(showProject
      ? [
          helper.accessor((r) => r.project.name, {
            id: "project",
            header: "Project",
            cell: (info) => (
              <Link href={`/projects/${info.row.original.project.slug}/runs`} className="hover:underline">
                {info.getValue()}
              </Link>
            ),
          }),
        ]
      : []),
    helper.accessor("jobLabel", { header: "Job" }),
    helper.accessor("queuedAt", {
      header: "Queued",
      cell: (info) => (
        // RelativeTime renders the same text on the server and at hydration (a clock read in
        // render made React #418 and re-render the whole document).
        <span>
          <RelativeTime iso={info.getValue()} />
          <span className="ml-1 text-xs text-zinc-500">{formatTimestamp(info.getValue())}</span>
        </span>
      ),
    }),
    helper.accessor("durationMs", { header: "Duration", cell: (info) => formatDuration(info.getValue()) }),
    helper.accessor("attempts", { header: "Attempts", cell: (info) => `${info.getValue()}/${info.row.original.maxAttempts}` }),
    helper.accessor((r) => r.triggeredBy?.name ?? null, { id: "triggeredBy", header: "Triggered by", cell: (info) => info.getValue() ?? "schedule" }),
    helper.accessor("error", {
      header: "Error",
      cell: (info) => <span className="block max-w-72 truncate text-zinc-600 dark:text-zinc-400" title={info.getValue() ?? undefined}>{info.getValue() ?? ""}</span>,
    }),
  ]);
}
