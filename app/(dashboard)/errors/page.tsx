import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Sparkline } from "@/app/(dashboard)/_components/charts";
import { formatBucket, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RunLinksTable } from "@/app/(dashboard)/_components/run-links-table";
import { canInstance } from "@/lib/auth/permissions";
import { getErrorSummary, listErrorRuns } from "@/lib/dal/errors";
import { parseRange, RANGES } from "@/lib/dal/ranges";
import { RangePicker } from "@/app/(dashboard)/_components/ui/range-picker";
import { getCurrentUser } from "@/lib/dal/users";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Errors" };

type Search = { range?: string; jobType?: string; subType?: string; cursor?: string };

const SEVERITY = ["", "low", "minor", "moderate", "high", "critical"];

export default async function ErrorsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await getCurrentUser();
  // Support only (errors:read-unredacted): for everyone else this page does not exist.
  if (!user || !canInstance(user.instanceRole, "errors:read-unredacted")) notFound();
  const search = await searchParams;
  const range = parseRange(search.range);
  const summary = await getErrorSummary(range);
  const selected = search.jobType && search.subType ? summary.groups.find((g) => g.jobType === search.jobType && g.subType === search.subType) : undefined;
  const runs = search.jobType && search.subType ? await listErrorRuns(range, search.jobType, search.subType, search.cursor) : null;
  const hourly = range === "24h";
  const q = (params: Record<string, string | undefined>) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
    return `/errors?${u.toString()}`;
  };
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold">Errors</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Across all teams, by job type and error sub-type (runs queued in the window).</p>
        </div>
        <RangePicker current={range} href={(r) => q({ range: r, jobType: search.jobType, subType: search.subType })} />
      </div>
      {summary.capped && <p className="text-sm text-amber-700 dark:text-amber-400">More than {summary.scanned.toLocaleString("en")} erroring runs: counts cover the first {summary.scanned.toLocaleString("en")} read.</p>}

      {summary.groups.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No errors in the last {RANGES[range].label}. Failed and retrying runs of every team show up here.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <caption className="sr-only">Error groups in the last {RANGES[range].label}</caption>
            <thead className="bg-zinc-100 dark:bg-zinc-900">
              <tr>
                {["Sub-type / job type", "Count", hourly ? "Per hour" : "Per day", "Severity", "Type / source", "First seen (UTC)", "Last seen (UTC)"].map((h) => (
                  <th key={h} scope="col" className="px-3 py-2 text-left font-medium whitespace-nowrap">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950">
              {summary.groups.map((g) => {
                const current = g === selected;
                return (
                  <tr key={`${g.jobType}/${g.subType}`} data-testid="error-group" className={current ? "bg-indigo-50 dark:bg-indigo-950/40" : undefined}>
                    <th scope="row" className="px-3 py-2 text-left font-normal whitespace-nowrap">
                      <TextLink href={q({ range, jobType: g.jobType, subType: g.subType })} aria-current={current ? "true" : undefined} className="font-mono">
                        {g.subType}
                      </TextLink>
                      <span className="block text-xs text-zinc-600 dark:text-zinc-400">{g.jobLabel}</span>
                    </th>
                    <td className="px-3 py-2 font-medium">{g.count}</td>
                    <td className="px-3 py-2">
                      <Sparkline
                        values={g.series}
                        label={`${g.subType} per ${hourly ? "hour" : "day"}: ${g.series.map((n, i) => `${formatBucket(summary.buckets[i]!, hourly)} ${n}`).filter((_, i) => g.series[i]! > 0).join(", ")}`}
                      />
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {g.maxSeverity} {SEVERITY[g.maxSeverity] ?? ""}
                    </td>
                    <td className="px-3 py-2 font-mono text-xs whitespace-nowrap">
                      {g.type} / {g.source}
                    </td>
                    <td className="px-3 py-2 text-xs whitespace-nowrap">
                      <time dateTime={g.firstSeen} title={formatTimestamp(g.firstSeen)}>
                        {g.firstSeen.slice(5, 16).replace("T", " ")}
                      </time>
                    </td>
                    <td className="px-3 py-2 text-xs whitespace-nowrap">
                      <time dateTime={g.lastSeen} title={formatTimestamp(g.lastSeen)}>
                        {g.lastSeen.slice(5, 16).replace("T", " ")}
                      </time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {runs && (
        <section aria-label="Matching runs" className="space-y-2">
          <h2 className="font-medium">
            Runs with <span className="font-mono">{search.subType}</span> in {selected?.jobLabel ?? search.jobType}
          </h2>
          <RunLinksTable
            showWhere
            empty="No runs match in this window."
            rows={runs.rows.map((r) => ({
              id: r.id,
              href: r.projectSlug ? `/projects/${r.projectSlug}/runs/${r.id}` : null,
              where: r.teamName && r.projectName ? `${r.teamName} / ${r.projectName}` : null,
              jobLabel: selected?.jobLabel ?? search.jobType ?? "",
              status: r.status,
              attempts: r.attempts,
              queuedAt: r.queuedAt,
              durationMs: null,
              message: r.message,
            }))}
          />
          <KeysetPager
            links={[
              search.cursor ? { href: q({ range, jobType: search.jobType, subType: search.subType }), label: "Newest" } : null,
              runs.nextCursor ? { href: q({ range, jobType: search.jobType, subType: search.subType, cursor: runs.nextCursor }), label: "Older runs" } : null,
            ]}
          />
        </section>
      )}
    </div>
  );
}
