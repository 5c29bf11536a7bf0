import type { StepView } from "@/lib/dal/runs";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";

const DOT: Record<string, string> = {
  started: "bg-sky-500",
  completed: "bg-emerald-500",
  failed: "bg-red-500",
  retrying: "bg-amber-500",
  cancelled: "bg-amber-500",
  skipped: "bg-zinc-400",
};

/** The step timeline: each step with its duration, drawn to scale against the longest one. */
export function StepList({ steps }: { steps: StepView[] }) {
  const longest = Math.max(1, ...steps.map((s) => s.durationMs ?? 0));
  if (steps.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">No steps yet: the run is waiting for a worker.</p>;
  return (
    <ol className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
      {steps.map((s) => (
        <li key={s.id} className="flex flex-wrap items-start gap-x-3 gap-y-1 px-3 py-2 text-sm">
          <span aria-hidden className={`mt-1.5 h-2 w-2 shrink-0 rounded-full ${DOT[s.status] ?? "bg-zinc-400"}`} />
          <span className="font-mono">{s.stepType}</span>
          <span className="text-zinc-600 dark:text-zinc-400">{s.status}</span>
          <span className="text-zinc-500">attempt {s.attempt}</span>
          <span className="flex items-center gap-2 text-zinc-500">
            {s.durationMs !== null && (
              <span aria-hidden className="inline-block h-1.5 w-24 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800">
                <span className={`block h-full ${DOT[s.status] ?? "bg-zinc-400"}`} style={{ width: `${Math.max(2, (s.durationMs / longest) * 100)}%` }} />
              </span>
            )}
            {formatDuration(s.durationMs)}
          </span>
          <span className="ml-auto text-xs text-zinc-500">{formatTimestamp(s.createdAt)}</span>
          {s.error && (
            <span className="w-full pl-5 text-red-700 dark:text-red-400">
              {s.error.type}/{s.error.subType} (severity {s.error.severity}): {s.error.message}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
