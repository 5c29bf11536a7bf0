"use client";

import { useEffect, useRef, useState } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import { formatDuration } from "@/app/(dashboard)/_components/format";
import { usePolling } from "@/app/(dashboard)/_components/use-polling";
import type { ActionResult, ActionState } from "@/lib/actions/safe-action";
import type { QueueControlView, QueueRow, QueuesView } from "@/lib/dal/queues";

const POLL_MS = 5000;

type ControlAction = (prev: ActionState<QueueControlView>, form: FormData) => Promise<ActionResult<QueueControlView>>;

/** Polls the view every few seconds while the tab is visible (usePolling: ETag, 304, backoff). */
function useLiveQueues(initial: QueuesView, url: string): { view: QueuesView; refresh: () => void; databaseDown: boolean } {
  const [view, setView] = useState(initial);
  const { databaseDown, refresh } = usePolling<QueuesView>({ url, intervalMs: POLL_MS, initialEtag: initial.version, onData: setView });
  return { view, refresh, databaseDown };
}

function count(n: number, cap: number): string {
  return n > cap ? `${cap.toLocaleString("en")}+` : n.toLocaleString("en");
}

function Figure({ label, value, testId, tone }: { label: string; value: string; testId: string; tone?: "bad" }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd data-testid={testId} className={`text-lg font-semibold tabular-nums ${tone === "bad" ? "text-red-700 dark:text-red-400" : ""}`}>
        {value}
      </dd>
    </div>
  );
}

/** "Paused", "Paused for the instance", "Limit 3": what holds the job type's runs back. */
function ControlBadges({ row }: { row: QueueRow }) {
  const badges: { text: string; tone: "amber" | "zinc" }[] = [];
  if (row.control.paused) badges.push({ text: "Paused", tone: "amber" });
  if (row.instanceControl?.paused) badges.push({ text: "Paused for the instance", tone: "amber" });
  if (row.control.concurrencyLimit !== null) badges.push({ text: `Limit ${row.control.concurrencyLimit}`, tone: "zinc" });
  if (row.instanceControl?.concurrencyLimit != null) badges.push({ text: `Instance limit ${row.instanceControl.concurrencyLimit}`, tone: "zinc" });
  if (row.scope === "system") badges.push({ text: "System", tone: "zinc" });
  const tones = {
    amber: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200",
    zinc: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  };
  return (
    <div className="flex flex-wrap gap-1" data-testid="queue-badges">
      {badges.map((b) => (
        <span key={b.text} className={`rounded-full px-2 py-0.5 text-xs font-medium ${tones[b.tone]}`}>
          {b.text}
        </span>
      ))}
    </div>
  );
}

function ControlForm({ row, action, projectSlug, onDone }: { row: QueueRow; action: ControlAction; projectSlug: string | null; onDone: () => void }) {
  const [state, formAction, pending] = useSafeAction(action);
  const handled = useRef<ActionState<QueueControlView>>(null);
  useEffect(() => {
    if (!state || handled.current === state) return;
    handled.current = state;
    if (state.ok) {
      toast(state.data.paused ? `${row.label} is paused: new runs wait.` : `${row.label}: saved.`);
      onDone();
    } else if (!state.fieldErrors) toast(state.error, "error");
  }, [state, onDone, row.label]);
  const limitError = state && !state.ok ? state.fieldErrors?.concurrencyLimit?.[0] : undefined;
  const hidden = (
    <>
      {projectSlug && <input type="hidden" name="projectSlug" value={projectSlug} />}
      <input type="hidden" name="jobType" value={row.jobType} />
    </>
  );
  const button = "rounded-md border px-3 py-1.5 text-sm font-medium disabled:opacity-60";
  return (
    <div className="mt-3 flex flex-wrap items-end gap-2 border-t border-zinc-100 pt-3 dark:border-zinc-800">
      <form action={formAction}>
        {hidden}
        <input type="hidden" name="intent" value={row.control.paused ? "resume" : "pause"} />
        <button
          type="submit"
          disabled={pending}
          className={`${button} ${row.control.paused ? "border-emerald-300 text-emerald-800 hover:bg-emerald-50 dark:border-emerald-800 dark:text-emerald-300 dark:hover:bg-emerald-950" : "border-amber-300 text-amber-900 hover:bg-amber-50 dark:border-amber-800 dark:text-amber-300 dark:hover:bg-amber-950"}`}
        >
          {row.control.paused ? `Resume ${row.label}` : `Pause ${row.label}`}
        </button>
      </form>
      <form action={formAction} className="flex items-end gap-2">
        {hidden}
        <input type="hidden" name="intent" value="limit" />
        <label className="text-xs text-zinc-600 dark:text-zinc-400">
          At most running
          <input
            name="concurrencyLimit"
            inputMode="numeric"
            placeholder="no limit"
            defaultValue={row.control.concurrencyLimit ?? ""}
            aria-label={`Concurrency limit of ${row.label}`}
            aria-invalid={limitError ? true : undefined}
            className="mt-1 block w-28 rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
          />
        </label>
        <button type="submit" disabled={pending} className={`${button} border-zinc-300 text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800`}>
          Save limit
        </button>
      </form>
      {limitError && <p className="w-full text-sm text-red-600 dark:text-red-400">{limitError}</p>}
    </div>
  );
}

/** The Queues view: one card per job type, its figures kept current while the tab is open. */
export function QueuesLive({ initial, pollUrl, action }: { initial: QueuesView; pollUrl: string; action: ControlAction | null }) {
  const { view, refresh, databaseDown } = useLiveQueues(initial, pollUrl);
  const projectSlug = view.scope.kind === "project" ? view.scope.slug : null;
  const cap = view.countCap;
  return (
    <div className="space-y-3">
      {databaseDown && (
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
          The database is unreachable; these figures are from before. They update once it is back.
        </p>
      )}
      <ul className="grid gap-4 lg:grid-cols-2">
        {view.rows.map((row) => (
          <li key={row.jobType} data-testid={`queue-${row.jobType}`} className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
            <div className="flex flex-wrap items-start justify-between gap-2">
              <div className="min-w-0">
                <h2 className="font-medium">{row.label}</h2>
                <p className="font-mono text-xs text-zinc-500">{row.jobType}</p>
              </div>
              <ControlBadges row={row} />
            </div>
            <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 sm:grid-cols-4">
              <Figure label="Pending" value={count(row.pending, cap)} testId="queue-pending" />
              <Figure label="Running" value={count(row.running, cap)} testId="queue-running" />
              <Figure label="Waiting for retry" value={count(row.retrying, cap)} testId="queue-retrying" />
              <Figure label="Oldest pending" value={row.oldestPendingSeconds === null ? "—" : formatDuration(row.oldestPendingSeconds * 1000)} testId="queue-oldest" />
              <Figure label="Failed (24 h)" value={count(row.failed24h, cap)} testId="queue-failed" tone={row.failed24h > 0 ? "bad" : undefined} />
              <Figure label="Dead letter (24 h)" value={count(row.deadLetter24h, cap)} testId="queue-dead-letter" tone={row.deadLetter24h > 0 ? "bad" : undefined} />
              <Figure label="Finished / min" value={row.finishedPerMinute.toLocaleString("en")} testId="queue-throughput" />
              <Figure label="Workers" value={String(row.workers)} testId="queue-workers" tone={row.workers === 0 ? "bad" : undefined} />
            </dl>
            {row.workers === 0 && <p className="mt-2 text-sm text-red-700 dark:text-red-400">No live worker serves this job type: its runs wait until one starts.</p>}
            {(row.control.paused || row.instanceControl?.paused) && (
              <p className="mt-2 text-sm text-amber-800 dark:text-amber-300">
                {row.instanceControl?.paused && !row.control.paused ? "Paused for the whole instance by its owner" : "Paused"}: new runs are accepted and wait; runs already running finish.
              </p>
            )}
            {action && <ControlForm row={row} action={action} projectSlug={projectSlug} onDone={refresh} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
