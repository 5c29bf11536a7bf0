import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getProjectAccess } from "@/lib/dal/access";
import { getRerunDraft } from "@/lib/dal/runs";
import { RunJobForm } from "../../../jobs/_components/run-job-form";

export const metadata: Metadata = { title: "Run again" };

/** "Run again with changes": the Run form of a run's job type, prefilled with its payload. */
export default async function RerunPage({ params }: { params: Promise<{ slug: string; runId: string }> }) {
  const { slug, runId } = await params;
  const access = await getProjectAccess(slug);
  if (!access?.permissions.has("jobs:read")) notFound();
  const runHref = `/projects/${encodeURIComponent(slug)}/runs/${encodeURIComponent(runId)}`;
  if (!access.permissions.has("jobs:write")) {
    return (
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold">Run again</h1>
        <p className="text-zinc-600 dark:text-zinc-400">Running jobs needs the jobs:write permission. A team admin can grant it.</p>
      </div>
    );
  }
  const draft = await getRerunDraft(slug, runId);
  if (!draft) notFound();
  return (
    <div className="max-w-xl space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-600 dark:text-zinc-400">
        <Link href={`/projects/${encodeURIComponent(slug)}/jobs`} className="hover:underline">
          {access.project.name}
        </Link>{" "}
        /{" "}
        <Link href={runHref} className="hover:underline">
          Run <span className="font-mono">{draft.runId.slice(0, 8)}</span>
        </Link>{" "}
        / Run again
      </nav>
      <div>
        <h1 className="text-2xl font-semibold">Run {draft.jobLabel} again</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Prefilled with the earlier run&apos;s payload: change what you need, then run. To repeat it exactly, use Re-drive on a failed run.
          {draft.hasFileFields && " Files are not carried over: choose the file again."}
        </p>
      </div>
      {/* pt-1: the Run form keeps its own top margin (it sits under a description on the Jobs page). */}
      <section className="rounded-lg border border-zinc-200 bg-white px-4 pt-1 pb-4 dark:border-zinc-800 dark:bg-zinc-900">
        <RunJobForm projectSlug={access.project.slug} jobType={draft.jobType} label={draft.jobLabel} fields={draft.fields} withheld={draft.withheld} />
      </section>
    </div>
  );
}
