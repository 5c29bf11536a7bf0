import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { QueuesLive } from "@/app/(dashboard)/_components/queues/queues-live";
import { getProjectAccess } from "@/lib/dal/access";
import { getProjectQueues } from "@/lib/dal/queues";
import { setProjectQueueControlAction } from "./actions";

export const metadata: Metadata = { title: "Queues" };

export default async function ProjectQueuesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const access = await getProjectAccess(slug);
  if (!access) notFound();
  if (!access.permissions.has("jobs:read")) {
    return (
      <div>
        <h1 className="mb-2 text-2xl font-semibold">{access.project.name}</h1>
        <p className="text-zinc-600 dark:text-zinc-400">You do not have access to jobs in this project. A team admin can grant you jobs:read.</p>
      </div>
    );
  }
  const view = await getProjectQueues(slug);
  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          <Link href={`/projects/${slug}/jobs`} className="hover:underline">
            {access.project.name}
          </Link>
        </p>
        <h1 className="text-2xl font-semibold">Queues</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          This project&apos;s runs per job type, updated every few seconds while this tab is open.
          {view.scope.kind === "project" && view.scope.canControl
            ? " Pausing a job type keeps accepting runs; they wait until you resume. A limit caps how many run at once across all workers."
            : " Pausing and limiting job types needs the jobs:write permission."}
        </p>
      </div>
      <QueuesLive initial={view} pollUrl={`/api/projects/${encodeURIComponent(slug)}/queues`} action={view.scope.kind === "project" && view.scope.canControl ? setProjectQueueControlAction : null} />
    </div>
  );
}
