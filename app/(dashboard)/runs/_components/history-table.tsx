"use client";

import { createColumnHelper, rowSelectionFeature, tableFeatures, useTable, type RowSelectionState } from "@tanstack/react-table";
import Link from "next/link";
import { useActionState, useState, type ReactNode } from "react";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";
import type { HistoryRow } from "@/lib/dal/history";
import type { BulkActionData } from "../actions";

const features = tableFeatures({ rowSelectionFeature });
const helper = createColumnHelper<typeof features, HistoryRow>();

type BulkAction = (prev: ActionState<BulkActionData>, form: FormData) => Promise<ActionResult<BulkActionData>>;

function columns(showProject: boolean, selectable: boolean) {
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
        <Link href={`/projects/${info.row.original.project.slug}/runs/${info.getValue()}`} className="font-mono text-indigo-700 hover:underline dark:text-indigo-400">
          {info.getValue().slice(0, 8)}
        </Link>
      ),
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
    helper.accessor("status", { header: "Status", cell: (info) => <StatusBadge status={info.getValue()} /> }),
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

const OUTCOME_LABELS: Record<string, string> = {
  cancelled: "cancelled",
  cancelling: "cancelling",
  retried: "retried",
  skipped: "skipped",
  forbidden: "not allowed",
  not_found: "not found",
};

/** One server-fetched page; filters, sort and paging live in the URL, selection is per page. */
export function HistoryTable({ rows, showProject, bulkAction, projectSlug, empty }: { rows: HistoryRow[]; showProject: boolean; bulkAction: BulkAction | null; projectSlug?: string; empty: ReactNode }) {
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const table = useTable({
    features,
    columns: columns(showProject, bulkAction !== null),
    data: rows,
    getRowId: (r) => r.id,
    state: { rowSelection },
    onRowSelectionChange: setRowSelection,
    enableRowSelection: bulkAction !== null,
  });
  const selected = Object.keys(rowSelection).filter((id) => rowSelection[id] && rows.some((r) => r.id === id));
  const noop: BulkAction = async () => ({ ok: false, error: "" });
  const [state, dispatch, pending] = useActionState(bulkAction ?? noop, null);

  return (
    <div className="space-y-3">
      {bulkAction && rows.length > 0 && (
        <form
          action={(form) => {
            setRowSelection({});
            return dispatch(form);
          }}
          className="flex flex-wrap items-center gap-2 text-sm"
          aria-label="Bulk actions"
        >
          {projectSlug && <input type="hidden" name="projectSlug" value={projectSlug} />}
          <input type="hidden" name="runIds" value={selected.join(",")} />
          <span className="text-zinc-600 dark:text-zinc-400">{selected.length ? `${selected.length} selected` : "Select runs to retry or cancel them"}</span>
          <button type="submit" name="kind" value="retry" disabled={!selected.length || pending} className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Retry selected
          </button>
          <button type="submit" name="kind" value="cancel" disabled={!selected.length || pending} className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Cancel selected
          </button>
        </form>
      )}
      {state && (
        <div role="status" data-testid="bulk-result" className={`rounded-md border px-3 py-2 text-sm ${state.ok ? "border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950" : "border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950"}`}>
          {state.ok
            ? Object.entries(state.data.summary)
                .filter(([, n]) => n > 0)
                .map(([outcome, n]) => `${n} ${OUTCOME_LABELS[outcome] ?? outcome}`)
                .join(", ")
            : state.error}
          {state.ok && state.data.results.some((r) => r.reason) && (
            <ul className="mt-1 list-disc pl-5 text-xs text-zinc-600 dark:text-zinc-400">
              {state.data.results
                .filter((r) => r.reason)
                .slice(0, 10)
                .map((r) => (
                  <li key={r.runId}>
                    <span className="font-mono">{r.runId.slice(0, 8)}</span>: {r.reason}
                  </li>
                ))}
            </ul>
          )}
        </div>
      )}
      {rows.length === 0 ? empty : (
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
              <tr key={row.id} data-testid="history-row" data-run-id={row.original.id} data-status={row.original.status} className={row.getIsSelected() ? "bg-indigo-50 dark:bg-indigo-950/40" : undefined}>
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
      )}
    </div>
  );
}
