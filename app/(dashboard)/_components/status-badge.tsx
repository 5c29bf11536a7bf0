import { formatTimestamp } from "./format";
import type { RunStatus } from "@/lib/db/schema";

const STYLES: Record<RunStatus, string> = {
  pending: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  running: "bg-sky-100 text-sky-800 dark:bg-sky-900/50 dark:text-sky-300",
  completed: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300",
  failed: "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300",
  cancelled: "bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-300",
  dead_letter: "bg-fuchsia-100 text-fuchsia-800 dark:bg-fuchsia-900/50 dark:text-fuchsia-300",
};

const LABELS: Record<RunStatus, string> = {
  pending: "Pending",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  dead_letter: "Dead letter",
};

const SCHEDULED = "bg-violet-100 text-violet-800 dark:bg-violet-900/50 dark:text-violet-300";

/** A run's status; a later run not yet due (pending, `scheduledFor` set) shows as Scheduled with its time. */
export function StatusBadge({ status, scheduledFor }: { status: RunStatus; scheduledFor?: string | null }) {
  if (status === "pending" && scheduledFor) {
    return (
      // Two lines below sm: on one line it is wider than a phone's table column and was cut.
      <span
        data-status={status}
        data-scheduled={scheduledFor}
        className={`inline-flex flex-col items-start rounded-lg px-2 py-0.5 text-xs leading-tight font-medium whitespace-nowrap sm:flex-row sm:items-center sm:gap-1 sm:rounded-full sm:leading-normal ${SCHEDULED}`}
      >
        <span>Scheduled</span> <span>{formatTimestamp(scheduledFor).slice(0, 16)} UTC</span>
      </span>
    );
  }
  return (
    <span data-status={status} className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${STYLES[status]}`}>
      {LABELS[status]}
    </span>
  );
}
