import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { QueuesLive } from "@/app/(dashboard)/_components/queues/queues-live";
import { canInstance } from "@/lib/auth/permissions";
import { getInstanceQueues } from "@/lib/dal/queues";
import { getCurrentUser } from "@/lib/dal/users";
import { setInstanceQueueControlAction } from "./actions";

export const metadata: Metadata = { title: "Queues" };

export default async function InstanceQueuesPage() {
  const user = await getCurrentUser();
  if (!user || !canInstance(user.instanceRole, "queues:read")) notFound();
  const view = await getInstanceQueues();
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Queues</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Every job type on this instance, system jobs included, across all projects; updated every few seconds while this tab is open.
          {view.scope.canControl
            ? " A pause or limit set here applies to every project's runs of the job type, on top of the projects' own."
            : " Only the instance owner can pause or limit job types here."}
        </p>
      </div>
      <QueuesLive initial={view} pollUrl="/api/queues" action={view.scope.canControl ? setInstanceQueueControlAction : null} />
    </div>
  );
}
