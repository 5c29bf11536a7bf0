import Link from "next/link";
import type { HistoryOptions } from "@/lib/dal/history";
import { HISTORY_STATUSES as RUN_STATUSES, type HistoryFilter } from "@/lib/runs/history-filter";

const STATUS_LABELS: Record<(typeof RUN_STATUSES)[number], string> = {
  pending: "Pending",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  dead_letter: "Dead letter",
};

/** datetime-local value in UTC (the dashboard shows UTC). */
const local = (d: Date | undefined) => (d ? d.toISOString().slice(0, 16) : "");
const input = "rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900";

/** A plain GET form: works without JavaScript, and the resulting URL reproduces the view. */
export function HistoryToolbar({ base, filter, options, errors }: { base: string; filter: HistoryFilter; options: HistoryOptions; errors: Record<string, string[]> }) {
  const errorList = Object.entries(errors);
  return (
    <form method="get" action={base} role="search" aria-label="Filter runs" className="space-y-3 rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex min-w-48 flex-1 flex-col gap-1 text-sm">
          <span>Search errors and payloads</span>
          <input type="search" name="q" defaultValue={filter.q ?? ""} placeholder="e.g. timed out" className={input} />
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>Triggered by</span>
          <select name="triggeredBy" defaultValue={filter.triggeredBy ?? ""} className={input}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            {options.people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>From (UTC)</span>
          <input type="datetime-local" name="from" defaultValue={local(filter.from)} className={input} />
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>To (UTC)</span>
          <input type="datetime-local" name="to" defaultValue={local(filter.to)} className={input} />
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>Resource type</span>
          <select name="resourceType" defaultValue={filter.resourceType ?? ""} className={input}>
            <option value="">Any</option>
            <option value="file">File</option>
            <option value="project">Project</option>
          </select>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>Resource id</span>
          <input name="resourceId" defaultValue={filter.resourceId ?? ""} placeholder="UUID" className={`${input} w-72 max-w-full font-mono`} />
        </label>
        <label className="flex flex-col gap-1 text-sm">
          <span>Sort</span>
          <select name="sort" defaultValue={filter.sort} className={input}>
            <option value="queued_desc">Newest first</option>
            <option value="queued_asc">Oldest first</option>
          </select>
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
        <fieldset className="flex flex-wrap gap-x-3 gap-y-1">
          <legend className="sr-only">Status</legend>
          {RUN_STATUSES.map((s) => (
            <label key={s} className="flex items-center gap-1">
              <input type="checkbox" name="status" value={s} defaultChecked={filter.status.includes(s)} className="size-4" />
              {STATUS_LABELS[s]}
            </label>
          ))}
        </fieldset>
        <fieldset className="flex flex-wrap gap-x-3 gap-y-1">
          <legend className="sr-only">Job type</legend>
          {options.jobTypes.map((j) => (
            <label key={j.name} className="flex items-center gap-1">
              <input type="checkbox" name="jobType" value={j.name} defaultChecked={filter.jobType.includes(j.name)} className="size-4" />
              {j.label}
            </label>
          ))}
        </fieldset>
        {filter.limit !== 25 && <input type="hidden" name="limit" value={filter.limit} />}
        <div className="ml-auto flex gap-2">
          <Link href={base} className="rounded-md px-3 py-1 text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
            Reset
          </Link>
          <button type="submit" className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-700">
            Apply filters
          </button>
        </div>
      </div>
      {errorList.length > 0 && (
        <ul role="alert" className="text-sm text-red-700 dark:text-red-400">
          {errorList.map(([field, messages]) => (
            <li key={field}>
              {field}: {messages[0]}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
