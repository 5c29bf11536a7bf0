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

export function StepList({ steps }: { steps: StepView[] }) {
  if (steps.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">No steps yet: the run is waiting for a worker.</p>;
  return (
    <ol className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
      {steps.map((s) => (
        <li key={s.id} className="flex flex-wrap items-start gap-x-3 gap-y-1 px-3 py-2 text-sm">
          <span aria-hidden className={`mt-1.5 h-2 w-2 shrink-0 rounded-full ${DOT[s.status] ?? "bg-zinc-400"}`} />
          <span className="font-mono">{s.stepType}</span>
          <span className="text-zinc-600 dark:text-zinc-400">{s.status}</span>
          <span className="text-zinc-500">attempt {s.attempt}</span>
          <span className="text-zinc-500">{formatDuration(s.durationMs)}</span>
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
