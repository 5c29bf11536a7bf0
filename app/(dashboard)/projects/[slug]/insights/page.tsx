import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { BarChart, LineChart } from "@/app/(dashboard)/_components/charts";
import { formatBucket, formatDuration, formatPercent } from "@/app/(dashboard)/_components/format";
import { getProjectAccess } from "@/lib/dal/access";
import { getProjectInsights } from "@/lib/dal/insights";
import { parseRange, RANGES, type RangeKey } from "@/lib/dal/ranges";
import { RangePicker } from "@/app/(dashboard)/_components/ui/range-picker";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Insights" };

type Search = { jobType?: string; range?: string };

export default async function InsightsPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<Search> }) {
  const { slug } = await params;
  const search = await searchParams;
  const access = await getProjectAccess(slug);
  if (!access?.permissions.has("jobs:read")) notFound();
  const range = parseRange(search.range);
  const view = await getProjectInsights(slug, search.jobType, range);
  const hourly = range === "24h";
  const labels = view.buckets.map((b) => formatBucket(b.start, hourly));
  const unit = hourly ? "hour" : "day";
  const jobLabel = view.jobTypes.find((j) => j.name === view.jobType)?.label ?? view.jobType;
  const href = (r: RangeKey) => `/projects/${slug}/insights?jobType=${view.jobType}&range=${r}`;
  const ms = (v: number) => formatDuration(v);
  return (
    <div className="space-y-6">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-600 dark:text-zinc-400">
        <Link href={`/projects/${slug}/jobs`} className="hover:underline">
          {view.projectName}
        </Link>{" "}
        / Insights
      </nav>
      <div className="flex flex-wrap items-end gap-4">
        <h1 className="text-2xl font-semibold">Insights: {jobLabel}</h1>
        <form method="get" className="flex items-end gap-2">
          <input type="hidden" name="range" value={range} />
          <label className="text-sm">
            <span className="block text-xs text-zinc-500">Job type</span>
            <select name="jobType" defaultValue={view.jobType} className="rounded-md border border-zinc-300 bg-white px-2 py-1.5 dark:border-zinc-700 dark:bg-zinc-900">
              {view.jobTypes.map((j) => (
                <option key={j.name} value={j.name}>
                  {j.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Show
          </button>
        </form>
        <RangePicker current={range} href={href} />
      </div>

      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-zinc-200 bg-white p-4 sm:grid-cols-4 dark:border-zinc-800 dark:bg-zinc-900">
        {(
          [
            ["Runs", String(view.totals.runs)],
            ["Failure rate", formatPercent(view.totals.failureRate)],
            ["Duration p50", view.totals.p50Ms === null ? "—" : ms(view.totals.p50Ms)],
            ["Duration p95", view.totals.p95Ms === null ? "—" : ms(view.totals.p95Ms)],
          ] as const
        ).map(([label, value]) => (
          <div key={label}>
            <dt className="text-xs uppercase tracking-wide text-zinc-500">{label}</dt>
            <dd data-testid={`total-${label.toLowerCase().replaceAll(" ", "-")}`} className="text-lg font-semibold">
              {value}
            </dd>
          </div>
        ))}
      </dl>
      {view.capped && <p className="text-sm text-amber-700 dark:text-amber-400">Only the newest runs of this window are counted (the view reads at most 100,000).</p>}
      {view.totals.runs === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          No runs of {jobLabel} in the last {RANGES[range].label}. Run it from the{" "}
          <TextLink href={`/projects/${slug}/jobs`}>
            jobs page
          </TextLink>{" "}
          and its numbers show up here.
        </p>
      ) : (
        <div className="grid gap-4 md:grid-cols-2">
          <BarChart
            title={`Runs per ${unit}`}
            summary={`${view.totals.runs} runs in the last ${RANGES[range].label}; at most ${Math.max(...view.buckets.map((b) => b.runs))} in one ${unit}.`}
            labels={labels}
            series={[
              { name: "runs", values: view.buckets.map((b) => b.runs), className: "text-indigo-500" },
              { name: "failed", values: view.buckets.map((b) => b.failed), className: "text-red-500" },
            ]}
          />
          <BarChart
            title={`Failure rate per ${unit}`}
            summary={`Failure rate over the window ${formatPercent(view.totals.failureRate)} of finished runs.`}
            labels={labels}
            max={1}
            format={(v) => formatPercent(v)}
            series={[{ name: "failure rate", values: view.buckets.map((b) => b.failureRate), className: "text-red-500" }]}
          />
          <LineChart
            title={`Duration p50 and p95 per ${unit}`}
            summary={`Over the window: p50 ${view.totals.p50Ms === null ? "none" : ms(view.totals.p50Ms)}, p95 ${view.totals.p95Ms === null ? "none" : ms(view.totals.p95Ms)}.`}
            labels={labels}
            format={ms}
            series={[
              { name: "p50", values: view.buckets.map((b) => b.p50Ms), className: "text-emerald-600 dark:text-emerald-400" },
              { name: "p95", values: view.buckets.map((b) => b.p95Ms), className: "text-amber-600 dark:text-amber-400" },
            ]}
          />
        </div>
      )}

      <details className="rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <summary className="cursor-pointer px-4 py-2 text-sm font-medium">Show the numbers as a table</summary>
        <div className="overflow-x-auto">
          <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <caption className="sr-only">
              {jobLabel} per {unit}, last {RANGES[range].label}
            </caption>
            <thead className="bg-zinc-100 dark:bg-zinc-900">
              <tr>
                {[hourly ? "Hour (UTC)" : "Day (UTC)", "Runs", "Failed", "Failure rate", "p50", "p95"].map((h) => (
                  <th key={h} scope="col" className="px-3 py-2 text-left font-medium whitespace-nowrap">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {view.buckets.map((b) => (
                <tr key={b.start}>
                  <th scope="row" className="px-3 py-1.5 text-left font-normal whitespace-nowrap">
                    {b.start.slice(0, hourly ? 16 : 10).replace("T", " ")}
                  </th>
                  <td className="px-3 py-1.5">{b.runs}</td>
                  <td className="px-3 py-1.5">{b.failed}</td>
                  <td className="px-3 py-1.5">{formatPercent(b.failureRate)}</td>
                  <td className="px-3 py-1.5">{b.p50Ms === null ? "—" : ms(b.p50Ms)}</td>
                  <td className="px-3 py-1.5">{b.p95Ms === null ? "—" : ms(b.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
