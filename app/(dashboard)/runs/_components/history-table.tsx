"use client";

import { useTable, type RowSelectionState } from "@tanstack/react-table";
import { useCallback, useMemo, useState, type ReactNode } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { DataTable } from "@/app/(dashboard)/_components/ui/data-table";
import { usePolling } from "@/app/(dashboard)/_components/use-polling";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";
import type { HistoryRow } from "@/lib/dal/history";
import type { RunPatch, StatusCounts } from "@/lib/dal/history-poll";
import type { BulkActionData } from "../actions";
import { historyColumns, historyFeatures } from "./history-columns";
import { StatusCountsBar } from "./status-counts";

type BulkAction = (prev: ActionState<BulkActionData>, form: FormData) => Promise<ActionResult<BulkActionData>>;

const OUTCOME_LABELS: Record<string, string> = {
  cancelled: "cancelled",
  cancelling: "cancelling",
  retried: "retried",
  skipped: "skipped",
  forbidden: "not allowed",
  not_found: "not found",
};

/** How often a visible page refreshes its active rows and counts. */
const REFRESH_MS = 2000;

type PollBody = { runs: RunPatch[]; counts: StatusCounts };

function applyPatch(row: HistoryRow, p: RunPatch | undefined): HistoryRow {
  if (!p) return row;
  const { status, attempts, maxAttempts, scheduledFor, durationMs, error, progressPercent, stage } = p;
  return { ...row, status, attempts, maxAttempts, scheduledFor, durationMs, error, progressPercent, stage };
}

/**
 * One server-fetched page; filters, sort and paging live in the URL, selection is per page. While
 * the tab is visible the page's active runs are refreshed in place (never re-sorted or re-fetched,
 * so scroll, selection and the cursor stay) and the counts above the table come from that poll.
 */
export function HistoryTable({ rows: pageRows, showProject, bulkAction, projectSlug, empty }: { rows: HistoryRow[]; showProject: boolean; bulkAction: BulkAction | null; projectSlug?: string; empty: ReactNode }) {
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const [patches, setPatches] = useState<Record<string, RunPatch>>({});
  const [counts, setCounts] = useState<StatusCounts | null>(null);
  const rows = useMemo(() => pageRows.map((r) => applyPatch(r, patches[r.id])), [pageRows, patches]);
  // Only rows that can still move are asked about; a finished row keeps its last answer.
  const activeIds = rows.filter((r) => r.status === "pending" || r.status === "running").map((r) => r.id);
  const query = new URLSearchParams();
  if (projectSlug) query.set("project", projectSlug);
  if (activeIds.length) query.set("ids", activeIds.join(","));
  const onData = useCallback((body: PollBody) => {
    setCounts(body.counts);
    if (body.runs.length) setPatches((prev) => ({ ...prev, ...Object.fromEntries(body.runs.map((p) => [p.id, p])) }));
  }, []);
  usePolling<PollBody>({ url: `/api/runs?${query.toString()}`, intervalMs: REFRESH_MS, immediate: true, onData });
  const table = useTable({
    features: historyFeatures,
    columns: historyColumns(showProject, bulkAction !== null),
    data: rows,
    getRowId: (r) => r.id,
    state: { rowSelection },
    onRowSelectionChange: setRowSelection,
    enableRowSelection: bulkAction !== null,
  });
  const selected = Object.keys(rowSelection).filter((id) => rowSelection[id] && rows.some((r) => r.id === id));
  const noop: BulkAction = async () => ({ ok: false, error: "" });
  const [state, dispatch, pending] = useSafeAction(bulkAction ?? noop);

  return (
    <div className="space-y-3">
      <StatusCountsBar counts={counts} scopeLabel={projectSlug ? "whole project" : "all projects you can read"} />
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
      <DataTable
        table={table}
        empty={empty}
        rowProps={(row) => ({
          "data-testid": "history-row",
          "data-run-id": row.original.id,
          "data-status": row.original.status,
          className: row.getIsSelected() ? "bg-indigo-50 dark:bg-indigo-950/40" : undefined,
        })}
      />
    </div>
  );
}
