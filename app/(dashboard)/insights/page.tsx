import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatDuration, formatPercent } from "@/app/(dashboard)/_components/format";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/app/(dashboard)/_components/ui/table";
import { canInstance } from "@/lib/auth/permissions";
import { getInstanceInsights } from "@/lib/dal/insights";
import { parseRange, RANGES } from "@/lib/dal/ranges";
import { RangePicker } from "@/app/(dashboard)/_components/ui/range-picker";
import { getCurrentUser } from "@/lib/dal/users";

export const metadata: Metadata = { title: "Instance insights" };

/** Every team's runs by job type (instance support and owner); for everyone else it does not exist. */
export default async function InstanceInsightsPage({ searchParams }: { searchParams: Promise<{ range?: string }> }) {
  const user = await getCurrentUser();
  if (!user || !canInstance(user.instanceRole, "insights:read-all")) notFound();
  const range = parseRange((await searchParams).range);
  const view = await getInstanceInsights(range);
  const active = view.rows.filter((r) => r.totals.runs > 0);
  const idle = view.rows.length - active.length;
  const ms = (v: number | null) => (v === null ? "—" : formatDuration(v));
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold">Instance insights</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">All teams: runs queued in the last {RANGES[range].label} by job type, failure rate of finished runs and their duration.</p>
        </div>
        <RangePicker current={range} href={(r) => `/insights?range=${r}`} />
      </div>
      {active.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="instance-insights-empty">
          No runs on this instance in the last {RANGES[range].label}.
        </p>
      ) : (
        <Table data-testid="instance-insights">
          <caption className="sr-only">Runs by job type, all teams, last {RANGES[range].label}</caption>
          <TableHeader>
            <TableRow>
              <TableHead>Job type</TableHead>
              <TableHead className="text-right">Runs</TableHead>
              <TableHead className="hidden text-right sm:table-cell">Failed</TableHead>
              <TableHead className="text-right">Failure rate</TableHead>
              <TableHead className="hidden text-right sm:table-cell">p50</TableHead>
              <TableHead className="text-right">p95</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {active.map((r) => (
              <TableRow key={r.jobType} data-testid="instance-insights-row" data-job-type={r.jobType}>
                <TableHead scope="row" className="font-normal">
                  {r.label}
                </TableHead>
                <TableCell className="text-right tabular-nums" data-testid="runs">
                  {r.totals.runs.toLocaleString("en")}
                  {r.capped ? "+" : ""}
                </TableCell>
                <TableCell className="hidden text-right tabular-nums sm:table-cell" data-testid="failed">
                  {r.totals.failed.toLocaleString("en")}
                </TableCell>
                <TableCell className="text-right tabular-nums" data-testid="failure-rate">
                  {formatPercent(r.totals.failureRate)}
                </TableCell>
                <TableCell className="hidden text-right tabular-nums sm:table-cell">{ms(r.totals.p50Ms)}</TableCell>
                <TableCell className="text-right tabular-nums" data-testid="p95">
                  {ms(r.totals.p95Ms)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <p className="text-xs text-zinc-500">
        {idle > 0 ? `${idle} job type${idle === 1 ? "" : "s"} had no runs in this window. ` : ""}
        Counts stop at {view.countCap.toLocaleString("en")} per job type and status (shown with +); durations are the newest {view.sample.toLocaleString("en")} finished runs of
        each type. Figures are refreshed at most once a minute.
      </p>
    </div>
  );
}
