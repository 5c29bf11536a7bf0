"use client";

import { useCallback, useEffect, useState } from "react";
import type { RunView } from "@/lib/dal/runs";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { cancelRunAction, redriveRunAction } from "../actions";
import { RunActionButton } from "./run-action-button";
import { ProgressBar } from "./progress-bar";
import { StepList } from "./step-list";

const POLL_MS = 1000;

/** Polls the run about once a second while it is active and the tab is visible. */
function useLiveRun(initial: RunView): [RunView, () => void] {
  const [run, setRun] = useState(initial);
  // After an action (cancel, re-drive) fetch at once; a run that became active resumes polling.
  const refresh = useCallback(() => {
    void fetch(`/api/projects/${encodeURIComponent(initial.projectSlug)}/runs/${initial.id}`, { cache: "no-store" })
      .then((r) => (r.ok ? (r.json() as Promise<RunView>) : null))
      .then((next) => next && setRun(next))
      .catch(() => undefined);
  }, [initial.id, initial.projectSlug]);
  useEffect(() => {
    if (run.terminal) return;
    let etag: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const url = `/api/projects/${encodeURIComponent(run.projectSlug)}/runs/${run.id}`;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState === "visible") {
        try {
          const response = await fetch(url, { headers: etag ? { "If-None-Match": etag } : {}, cache: "no-store" });
          if (response.status === 200) {
            etag = response.headers.get("ETag");
            const next = (await response.json()) as RunView;
            setRun(next);
            if (next.terminal) return;
          }
        } catch {
          // A dropped poll is retried on the next tick.
        }
      }
      timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [run.id, run.projectSlug, run.terminal]);
  return [run, refresh];
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs uppercase tracking-wide text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm">{children}</dd>
    </div>
  );
}

export function RunLive({ initial, canWrite, canRedrive }: { initial: RunView; canWrite: boolean; canRedrive: boolean }) {
  const [run, refresh] = useLiveRun(initial);
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{run.jobLabel}</h1>
        <StatusBadge status={run.status} />
        {run.status === "pending" && run.attempts > 0 && <span className="text-sm text-zinc-600 dark:text-zinc-400">retry {run.attempts + 1} due {formatTimestamp(run.runAt)}</span>}
        {run.status === "running" && run.cancelRequested && <span className="text-sm text-amber-700 dark:text-amber-400">cancelling…</span>}
        {canWrite && !run.terminal && (
          <div className="ml-auto">
            <RunActionButton action={cancelRunAction} projectSlug={run.projectSlug} runId={run.id} label="Cancel run" busyLabel="Cancelling…" busy={run.cancelRequested} tone="danger" onDone={refresh} />
          </div>
        )}
        {canRedrive && (run.status === "dead_letter" || run.status === "failed") && (
          <div className="ml-auto">
            <RunActionButton action={redriveRunAction} projectSlug={run.projectSlug} runId={run.id} label="Re-drive" busyLabel="Re-driving…" busy={false} tone="neutral" onDone={refresh} />
          </div>
        )}
      </div>

      <section aria-label="Progress" className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
        <ProgressBar processed={run.progress.processed} total={run.progress.total} percent={run.status === "completed" ? 100 : run.progress.percent} />
        <div className="mt-2 flex flex-wrap justify-between gap-2 text-sm text-zinc-700 dark:text-zinc-300">
          <span data-testid="progress-counts">
            {run.progress.processed ?? 0}
            {run.progress.total !== null ? ` / ${run.progress.total}` : ""} processed
            {run.progress.message ? ` · ${run.progress.message}` : ""}
          </span>
          <span>
            {run.stage && <span data-testid="stage">Stage: {run.stage}</span>}
            {run.etaSeconds !== null && <span> · ETA {formatDuration(run.etaSeconds * 1000)}</span>}
          </span>
        </div>
      </section>

      {run.error && (
        <section aria-label="Error" role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950/40">
          <h2 className="font-medium text-red-800 dark:text-red-300">Error</h2>
          <p data-testid="run-error" className="mt-1 text-sm text-red-900 dark:text-red-200">
            {run.error.message}
          </p>
          <p className="mt-2 text-xs text-red-800/80 dark:text-red-300/80">
            {run.error.type} · {run.error.source} · {run.error.subType} · severity {run.error.severity} · {run.error.retryable ? "retryable" : "not retryable"} · ref {run.error.reference}
          </p>
          {run.error.stack && <pre className="mt-2 max-h-64 overflow-auto text-xs">{run.error.stack}</pre>}
        </section>
      )}

      {run.resultFile && (
        <a
          href={`/api/projects/${encodeURIComponent(run.projectSlug)}/files/${run.resultFile.id}`}
          className="inline-block rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500"
        >
          Download {run.resultFile.name}
        </a>
      )}

      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-zinc-200 bg-white p-4 sm:grid-cols-4 dark:border-zinc-800 dark:bg-zinc-900">
        <Field label="Queued">{formatTimestamp(run.queuedAt)}</Field>
        <Field label="Started">{formatTimestamp(run.startedAt)}</Field>
        <Field label="Finished">{formatTimestamp(run.completedAt)}</Field>
        <Field label="Duration">{formatDuration(run.durationMs)}</Field>
        <Field label="Attempts">
          {run.attempts} of {run.maxAttempts}
        </Field>
        <Field label="Triggered by">{run.triggeredBy ?? "schedule"}</Field>
        <Field label="Notify when done">{run.notify ? "Yes" : "No"}</Field>
        <Field label="Last heartbeat">{formatTimestamp(run.lastHeartbeat)}</Field>
      </dl>

      <section aria-label="Steps">
        <h2 className="mb-2 font-medium">Steps</h2>
        <StepList steps={run.steps} />
      </section>

      <section aria-label="Payload and result" className="grid gap-4 md:grid-cols-2 [&>div]:min-w-0">
        <div>
          <h2 className="mb-2 font-medium">Payload</h2>
          <pre className="overflow-auto rounded-lg bg-zinc-100 p-3 text-xs dark:bg-zinc-900">{JSON.stringify(run.payload, null, 2)}</pre>
        </div>
        <div>
          <h2 className="mb-2 font-medium">Result</h2>
          <pre className="overflow-auto rounded-lg bg-zinc-100 p-3 text-xs dark:bg-zinc-900">{run.result ? JSON.stringify(run.result, null, 2) : "—"}</pre>
        </div>
      </section>
    </div>
  );
}
