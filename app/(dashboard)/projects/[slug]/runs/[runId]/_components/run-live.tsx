"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import type { RunDelta } from "@/lib/dal/run-poll";
import type { RunView } from "@/lib/dal/runs";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { cancelRunAction, redriveRunAction, retryNowRunAction } from "../actions";
import { RunActionButton } from "./run-action-button";
import { ProgressBar } from "./progress-bar";
import { StepList } from "./step-list";
import { mergeRunDelta } from "./merge-run-delta";
import { useRunUpdates, type Transport } from "./use-run-updates";
import { AttemptList, AuditTrail, CallLog, ErrorDetails, JsonBlock } from "./run-sections";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

const POLL_MS = 1000;

/**
 * Follows the run while it is active and the tab is visible: server-sent events, else a poll about
 * once a second (useRunUpdates). Nothing once the run has ended; a moving run sends deltas.
 */
function useLiveRun(initial: RunView): { run: RunView; refresh: () => void; secondsSinceView: number; databaseDown: boolean; transport: Transport; streamOpen: boolean } {
  const [run, setRun] = useState(initial);
  // Seconds since this view was built: heartbeat age and ETA keep counting between 304s.
  const [secondsSinceView, setSecondsSinceView] = useState(0);
  // A delta (an active run's moving parts and new rows) merges into the page's run; anything else is whole.
  const accept = useCallback((next: RunView | RunDelta) => {
    setRun((held) => ("kind" in next ? mergeRunDelta(held, next) : next));
    setSecondsSinceView(0);
  }, []);
  const url = `/api/projects/${encodeURIComponent(initial.projectSlug)}/runs/${initial.id}`;
  // After an action (cancel, re-drive) `refresh` asks at once; a run that became active resumes.
  const { databaseDown, refresh, transport, streamOpen } = useRunUpdates<RunView | RunDelta>({ streamUrl: `${url}/events`, pollUrl: url, intervalMs: POLL_MS, enabled: !run.terminal, onData: accept });

  useEffect(() => {
    const clock = setInterval(() => setSecondsSinceView((s) => s + 1), 1000);
    return () => clearInterval(clock);
  }, []);
  return { run, refresh, secondsSinceView, databaseDown, transport, streamOpen };
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words">{children}</dd>
    </div>
  );
}

/** What recovery will do with the run, as the sentence's end. */
function lostFateText(fate: RunView["ifLost"]): string {
  switch (fate.outcome) {
    case "cancelled":
      return "it will end cancelled, as requested.";
    case "retry":
      return `this attempt will be failed and the run retried (attempt ${fate.nextAttempt} of ${fate.maxAttempts}).`;
    case "dead_letter":
      return `this attempt (${fate.attempt} of ${fate.maxAttempts}, the last) will be failed and the run dead-lettered.`;
    case "failed":
      return "it will be marked failed; this job type does not retry.";
  }
}

export function RunLive({ initial, canWrite, canRedrive }: { initial: RunView; canWrite: boolean; canRedrive: boolean }) {
  const { run, refresh, secondsSinceView, databaseDown, transport, streamOpen } = useLiveRun(initial);
  // Poll deltas do not carry these two: trust them only while the run is in the state they describe.
  const scheduled = run.status === "pending" && run.attempts === 0 ? run.scheduledFor : null;
  // A full view (every status or attempt change is one) sets waitingForRetry; a delta keeps both as they were.
  const waitingForRetry = run.waitingForRetry && run.status === "pending";
  const heartbeatAge = run.heartbeatAgeSeconds === null ? null : run.heartbeatAgeSeconds + secondsSinceView;
  const stale = run.status === "running" && heartbeatAge !== null && heartbeatAge > run.staleAfterSeconds;
  const eta = run.etaSeconds === null ? null : Math.max(0, run.etaSeconds - (run.etaBasis === "history" ? secondsSinceView : 0));
  return (
    <div className="space-y-6" data-polling={run.terminal ? "stopped" : "active"} data-transport={transport} data-stream={streamOpen ? "open" : "closed"}>
      {databaseDown && (
        <p role="status" data-testid="database-down" className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
          Database unavailable, retrying. The figures below are from the last successful update.
        </p>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{run.jobLabel}</h1>
        <StatusBadge status={run.status} scheduledFor={scheduled} />
        {scheduled && (
          <span data-testid="scheduled-for" className="text-sm text-zinc-600 dark:text-zinc-400">
            starts {formatTimestamp(scheduled)} (<RelativeTime iso={scheduled} />)
          </span>
        )}
        {run.status === "pending" && run.attempts > 0 && <span className="text-sm text-zinc-600 dark:text-zinc-400">retry {run.attempts + 1} due {formatTimestamp(run.runAt)}</span>}
        {run.status === "running" && run.cancelRequested && <span className="text-sm text-amber-700 dark:text-amber-400">cancelling…</span>}
        {canWrite && waitingForRetry && (
          <div className="ml-auto">
            <RunActionButton action={retryNowRunAction} projectSlug={run.projectSlug} runId={run.id} label="Retry now" busyLabel="Starting…" busy={false} tone="neutral" onDone={refresh} />
          </div>
        )}
        {canWrite && run.terminal && (
          <Link href={`/projects/${encodeURIComponent(run.projectSlug)}/runs/${run.id}/rerun`} className="ml-auto rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800">
            Run again with changes
          </Link>
        )}
        {canWrite && !run.terminal && (
          <div className={waitingForRetry ? undefined : "ml-auto"}>
            <RunActionButton action={cancelRunAction} projectSlug={run.projectSlug} runId={run.id} label="Cancel run" busyLabel="Cancelling…" busy={run.cancelRequested} tone="danger" onDone={refresh} />
          </div>
        )}
        {canRedrive && (run.status === "dead_letter" || run.status === "failed") && (
          <div className={canWrite ? undefined : "ml-auto"}>
            <RunActionButton action={redriveRunAction} projectSlug={run.projectSlug} runId={run.id} label="Re-drive" busyLabel="Re-driving…" busy={false} tone="neutral" onDone={refresh} />
          </div>
        )}
      </div>

      {stale && (
        <p role="alert" data-testid="stale-warning" className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
          No heartbeat for {formatDuration(heartbeatAge * 1000)} (the limit is {run.staleAfterSeconds} s)
          {run.workerAnswering
            ? ", but its worker still answers: it is busy, not lost, and the run is left to it. If that worker is lost, "
            : ": the worker running this may be gone. When a worker's sweep finds it lost, "}
          {lostFateText(run.ifLost)}
        </p>
      )}

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
            {eta !== null && (
              <span data-testid="eta" title={run.etaBasis === "history" ? "From the median duration of this job's recent completed runs" : "From the progress rate so far"}>
                {run.stage ? " · " : ""}ETA {formatDuration(eta * 1000)} {run.etaBasis === "history" ? "(typical duration)" : ""}
              </span>
            )}
          </span>
        </div>
      </section>

      {run.error && <ErrorDetails error={run.error} />}

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
        <Field label="Last heartbeat">
          <span data-testid="heartbeat" className={stale ? "font-medium text-amber-700 dark:text-amber-400" : undefined}>
            {heartbeatAge === null ? "—" : `${formatDuration(heartbeatAge * 1000)} ago`}
          </span>
          {run.lastHeartbeat && <span className="block text-xs text-zinc-500">{formatTimestamp(run.lastHeartbeat)}</span>}
        </Field>
        <Field label="Resource">
          {run.resource ? (
            <TextLink href={`/projects/${encodeURIComponent(run.projectSlug)}/resources/${run.resource.type}/${run.resource.id}`}>
              {run.resource.type} <span className="font-mono">{run.resource.id.slice(0, 8)}</span> — all runs
            </TextLink>
          ) : (
            "—"
          )}
        </Field>
        <Field label="Job insights">
          <TextLink href={`/projects/${encodeURIComponent(run.projectSlug)}/insights?jobType=${run.jobType}`}>
            Charts for {run.jobLabel}
          </TextLink>
        </Field>
      </dl>

      <AttemptList attempts={run.attemptList} maxAttempts={run.maxAttempts} />

      <section aria-label="Steps">
        <h2 className="mb-2 font-medium">Steps</h2>
        <StepList steps={run.steps} />
      </section>

      <CallLog calls={run.calls} truncated={run.callsTruncated} />

      <section aria-label="Payload and result" className="grid gap-4 text-sm md:grid-cols-2">
        <JsonBlock label="Payload" value={run.payload} />
        <JsonBlock label="Result" value={run.result} />
      </section>

      <AuditTrail events={run.audit} triggeredBy={run.triggeredBy} queuedAt={run.queuedAt} />
    </div>
  );
}
