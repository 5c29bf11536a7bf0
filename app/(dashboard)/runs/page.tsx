import type { Metadata } from "next";
import { HistoryView } from "./_components/history-view";

export const metadata: Metadata = { title: "Run monitor" };

/** Every run of every project the user may read (support: all teams), newest first. */
export default async function MonitorPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Run monitor</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Runs across all projects you can read.</p>
      </div>
      <HistoryView scope="monitor" base="/runs" searchParams={await searchParams} />
    </div>
  );
}
