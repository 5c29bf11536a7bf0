import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { AccessError } from "@/lib/dal/access";
import { listWorkers, type WorkerRow, type WorkersPage } from "@/lib/dal/workers";
import type { WorkerState } from "@/lib/jobs/worker-registry";
import { AutoRefresh } from "./_components/auto-refresh";
import { WorkerActions } from "./_components/worker-actions";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Workers" };

const TONE: Record<WorkerState, string> = {
  live: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300",
  quiet: "bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-300",
  stopping: "bg-sky-100 text-sky-800 dark:bg-sky-900/50 dark:text-sky-300",
  stopped: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  lost: "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300",
};

const MEANING: Record<WorkerState, string> = {
  live: "taking runs",
  quiet: "takes no new runs; finishes the ones it holds",
  stopping: "finishing the runs it holds, then exits",
  stopped: "stopped gracefully",
  lost: "stopped answering: its runs are recovered by the other workers",
};

async function load(cursor: string | undefined): Promise<WorkersPage> {
  try {
    return await listWorkers({ cursor });
  } catch (error) {
    // workers:read (the instance owner and support): for everyone else this page does not exist.
    if (error instanceof AccessError) notFound();
    throw error;
  }
}

/** "4s ago", "3m ago": read on the database's clock when the page was rendered (it refreshes every 3 s). */
function SeenAgo({ w }: { w: WorkerRow }) {
  const s = w.lastSeenSecondsAgo;
  const text = s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
  return (
    <time dateTime={w.lastSeenAt} title={formatTimestamp(w.lastSeenAt)}>
      {text}
    </time>
  );
}

function actionsFor(w: WorkerRow): ("quiet" | "resume" | "stop")[] {
  if (w.pending === "stop") return [];
  if (w.state === "live") return w.pending === "quiet" ? ["resume", "stop"] : ["quiet", "stop"];
  if (w.state === "quiet") return ["resume", "stop"];
  return [];
}

function HeldRuns({ w }: { w: WorkerRow }) {
  if (w.heldCount === 0) return <span className="text-xs text-zinc-500">none</span>;
  return (
    <ul className="space-y-0.5 text-xs">
      {w.heldRuns.map((r) => (
        <li key={r.id} className="whitespace-nowrap">
          {r.projectSlug ? (
            <TextLink href={`/projects/${r.projectSlug}/runs/${r.id}`}>
              {r.label} · {r.projectSlug}
            </TextLink>
          ) : (
            <span title={r.id}>{r.label} (system)</span>
          )}{" "}
          <span className="text-zinc-500">attempt {r.attempt}</span>
        </li>
      ))}
      {w.heldCount > w.heldRuns.length && <li className="text-zinc-500">and {w.heldCount - w.heldRuns.length} more</li>}
    </ul>
  );
}

export default async function WorkersPageView({ searchParams }: { searchParams: Promise<{ after?: string }> }) {
  const { after } = await searchParams;
  const page = await load(after);
  const latency = Math.max(0, ...page.rows.filter((w) => w.state === "live" || w.state === "quiet").map((w) => w.actsWithinSeconds));
  const lost = page.rows.filter((w) => w.state === "lost").length;
  return (
    <div className="space-y-4">
      <AutoRefresh seconds={3} />
      <div>
        <h1 className="text-2xl font-semibold">Workers</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Every worker process that shares this Runboard&apos;s Postgres, seen in the last {page.shownForHours} hours, newest first, with the runs each holds now.
          {page.canAct && (
            <>
              {" "}
              <strong>Quiet</strong> stops a worker taking new runs (it finishes the ones it holds); <strong>Stop</strong> ends its process gracefully. A worker reads these at its next liveness ping
              {latency > 0 ? `: within ${latency} s` : ""}, and its state here changes once it has acted.
            </>
          )}
        </p>
      </div>
      {lost > 0 && (
        <p role="status" className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-200">
          {lost === 1 ? "1 worker is" : `${lost} workers are`} <strong>lost</strong>: {lost === 1 ? "it" : "they"} stopped answering without stopping. The other workers recover the runs a lost worker held (they retry per their job type).
        </p>
      )}
      {page.rows.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          No worker has been seen in the last {page.shownForHours} hours: runs are accepted and wait. Start one with <code>npm run worker</code> (see docs/workers.md).
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <caption className="sr-only">Workers</caption>
            <thead className="bg-zinc-100 dark:bg-zinc-900">
              <tr>
                {[
                  ["Worker", ""],
                  ["State", ""],
                  ["Job types", "hidden md:table-cell"],
                  ["Concurrency", "hidden lg:table-cell"],
                  ["Started", "hidden lg:table-cell"],
                  ["Last seen", "hidden sm:table-cell"],
                  ["Holds", "hidden sm:table-cell"],
                  ["Actions", page.canAct ? "" : "hidden"],
                ].map(([h, cls]) => (
                  <th key={h} scope="col" className={`px-3 py-2 text-left font-medium whitespace-nowrap ${cls}`}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950">
              {page.rows.map((w) => (
                <tr key={w.id} data-testid="worker-row" data-worker-id={w.id} className="align-top">
                  <td className="px-3 py-2">
                    <span className="font-medium break-all">{w.name}</span>
                    <span className="block font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">
                      {w.host} · pid {w.pid} · v{w.version}
                    </span>
                    <span className="mt-1 block text-xs text-zinc-600 md:hidden dark:text-zinc-400">{w.jobTypes.map((t) => t.label).join(", ")}</span>
                    <span className="mt-1 block text-xs text-zinc-600 sm:hidden dark:text-zinc-400">
                      holds {w.heldCount} · seen <SeenAgo w={w} />
                    </span>
                  </td>
                  <td className="px-3 py-2">
                    <span data-testid="worker-state" title={MEANING[w.state]} className={`rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONE[w.state]}`}>
                      {w.state}
                    </span>
                    {w.pending && (
                      <span className="mt-1 block text-xs whitespace-nowrap text-zinc-600 dark:text-zinc-400">
                        {w.pending === "stop" ? "stop" : "quiet"} requested (within {w.actsWithinSeconds} s)
                      </span>
                    )}
                  </td>
                  <td className="hidden px-3 py-2 md:table-cell">
                    <ul className="text-xs" aria-label={`Job types ${w.name} serves`}>
                      {w.jobTypes.map((t) => (
                        <li key={t.name} title={t.name}>
                          {t.label}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="hidden px-3 py-2 lg:table-cell" title="Runs of one job type it may hold at once">
                    {w.concurrency}
                  </td>
                  <td className="hidden px-3 py-2 text-xs whitespace-nowrap lg:table-cell">
                    <RelativeTime iso={w.startedAt} />
                  </td>
                  <td className="hidden px-3 py-2 text-xs whitespace-nowrap sm:table-cell">
                    <SeenAgo w={w} />
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell">
                    <HeldRuns w={w} />
                  </td>
                  {page.canAct && (
                    <td className="px-3 py-2">
                      {actionsFor(w).length > 0 ? <WorkerActions workerId={w.id} name={w.name} actions={actionsFor(w)} /> : <span className="text-xs text-zinc-500">—</span>}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager
        links={[
          after ? { href: "/workers", label: "Newest" } : null,
          page.nextCursor ? { href: `/workers?after=${encodeURIComponent(page.nextCursor)}`, label: "Older workers" } : null,
        ]}
      />
    </div>
  );
}
