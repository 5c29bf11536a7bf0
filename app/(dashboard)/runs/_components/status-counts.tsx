import type { StatusCounts } from "@/lib/dal/history-poll";
import type { RunStatus } from "@/lib/db/schema";

const ACTIVE: { status: RunStatus; label: string; dot: string }[] = [
  { status: "pending", label: "pending", dot: "bg-zinc-400" },
  { status: "running", label: "running", dot: "bg-sky-500" },
];
const RECENT: { status: RunStatus; label: string; dot: string }[] = [
  { status: "completed", label: "completed", dot: "bg-emerald-500" },
  { status: "failed", label: "failed", dot: "bg-red-500" },
  { status: "cancelled", label: "cancelled", dot: "bg-amber-500" },
  { status: "dead_letter", label: "dead letter", dot: "bg-fuchsia-500" },
];

function Count({ counts, status, label, dot }: { counts: StatusCounts; status: RunStatus; label: string; dot: string }) {
  const capped = counts.capped.includes(status);
  return (
    <li className="inline-flex items-center gap-1 whitespace-nowrap" data-testid={`count-${status}`} data-count={counts.counts[status]}>
      <span aria-hidden className={`size-2 rounded-full ${dot}`} />
      <span className="font-medium tabular-nums text-zinc-900 dark:text-zinc-100">
        {counts.counts[status].toLocaleString("en")}
        {capped ? "+" : ""}
      </span>{" "}
      {label}
    </li>
  );
}

/**
 * Counts by status above the table, from the page's refresh (not the server render: the history
 * page keeps its time budget). Active runs now, exactly; finished ones over a recent window only.
 */
export function StatusCountsBar({ counts, scopeLabel }: { counts: StatusCounts | null; scopeLabel: string }) {
  if (!counts) {
    return (
      <p className="h-6 text-sm text-zinc-500" data-testid="status-counts" aria-busy="true">
        Counting runs by status…
      </p>
    );
  }
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-zinc-600 dark:text-zinc-400" data-testid="status-counts" aria-live="polite" aria-label={`Runs by status, ${scopeLabel}`}>
      <ul className="flex flex-wrap gap-x-3 gap-y-1">
        <li className="sr-only">Now:</li>
        {ACTIVE.map((c) => (
          <Count key={c.status} counts={counts} {...c} />
        ))}
      </ul>
      <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="text-xs uppercase tracking-wide text-zinc-500" title={`Finished runs queued in the last ${counts.windowHours} hours, ${scopeLabel}`}>
          last {counts.windowHours} h
        </span>
        <ul className="flex flex-wrap gap-x-3 gap-y-1">
          {RECENT.map((c) => (
            <Count key={c.status} counts={counts} {...c} />
          ))}
        </ul>
      </span>
      {/* The counts ignore the filters: say whose runs they are. */}
      <span className="text-xs text-zinc-500">{scopeLabel}, unfiltered</span>
    </div>
  );
}
