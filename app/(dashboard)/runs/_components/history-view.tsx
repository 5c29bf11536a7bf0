import { listRuns, type HistoryScope } from "@/lib/dal/history";
import { getHistoryOptions } from "@/lib/dal/history";
import { historyHref, isFiltered, parseHistoryFilter } from "@/lib/runs/history-filter";
import { bulkMonitorRunsAction, bulkProjectRunsAction } from "../actions";
import { HistoryTable } from "./history-table";
import { HistoryToolbar } from "./history-toolbar";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

type Params = Record<string, string | string[] | undefined>;

/** A history view (one project, or the monitor): toolbar, count, table and keyset pager. */
export async function HistoryView({ scope, base, searchParams }: { scope: HistoryScope; base: string; searchParams: Params }) {
  const parsed = parseHistoryFilter(searchParams);
  const { filter } = parsed;
  const [page, options] = await Promise.all([listRuns(scope, filter), getHistoryOptions(scope)]);
  const monitor = scope === "monitor";
  const { value, exact, lowerBound } = page.count;
  const { search } = page;
  const countLabel = search
    ? `${value.toLocaleString("en")} match${value === 1 ? "" : "es"} among the ${search.read.toLocaleString("en")} runs read`
    : exact
      ? `${value.toLocaleString("en")} run${value === 1 ? "" : "s"}`
      : lowerBound
        ? `more than ${value.toLocaleString("en")} runs`
        : `about ${value.toLocaleString("en")} runs (estimate)`;
  const readWhich = filter.cursor ? "the next" : search?.toward === "older" ? "the newest" : "the oldest";

  return (
    <div className="space-y-4">
      <HistoryToolbar base={base} filter={filter} options={options} errors={parsed.ok ? {} : parsed.fieldErrors} />
      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="history-count">
        {countLabel}
        {isFiltered(filter) && !search ? " match these filters" : ""}
      </p>
      {search && (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200" data-testid="history-search-limited">
          This search read {readWhich} {search.read.toLocaleString("en")} runs only: {search.toward} runs may match too.{" "}
          {search.more ? `Use ${search.more === "next" ? "Next" : "Previous"} to search on, or narrow` : "Narrow"} it with a status, job type or time range.
        </p>
      )}
      <HistoryTable
        key={historyHref(base, filter)}
        rows={page.rows}
        showProject={monitor}
        projectSlug={scope === "monitor" ? undefined : scope.project}
        bulkAction={page.canWrite ? (monitor ? bulkMonitorRunsAction : bulkProjectRunsAction) : null}
        empty={
          <div className="rounded-lg border border-dashed border-zinc-300 p-6 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400" data-testid="history-empty">
            {monitor && page.projectCount === 0 ? (
              <p>You cannot read the runs of any project yet. Ask a team admin to grant you jobs:read.</p>
            ) : search ? (
              <p>No matches among these {search.read.toLocaleString("en")} runs; see the note above.</p>
            ) : filter.cursor ? (
              <p>
                No more runs this way.{" "}
                <TextLink href={historyHref(base, { ...filter, cursor: undefined })}>
                  Back to the first page
                </TextLink>
                .
              </p>
            ) : isFiltered(filter) ? (
              <p>
                No runs match these filters. Widen the time range, remove a filter or{" "}
                <TextLink href={base}>
                  clear all filters
                </TextLink>
                .
              </p>
            ) : (
              <p>No runs yet. Run a job from a project&apos;s Jobs page and it shows up here.</p>
            )}
          </div>
        }
      />
      <KeysetPager
        links={[
          (page.prevCursor || filter.cursor) ? { href: historyHref(base, { ...filter, cursor: undefined }), label: filter.sort === "queued_asc" ? "« Oldest" : "« Newest" } : null,
          page.prevCursor ? { href: historyHref(base, filter, { cursor: page.prevCursor }), label: "← Previous", rel: "prev" } : null,
          page.nextCursor ? { href: historyHref(base, filter, { cursor: page.nextCursor }), label: "Next →", rel: "next" } : null,
        ]}
      />
    </div>
  );
}
