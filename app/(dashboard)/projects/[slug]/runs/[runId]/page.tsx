import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getProjectAccess } from "@/lib/dal/access";
import { canRedrive, getRunView } from "@/lib/dal/runs";
import { RunLive } from "./_components/run-live";

export const metadata: Metadata = { title: "Run" };

export default async function RunPage({ params }: { params: Promise<{ slug: string; runId: string }> }) {
  const { slug, runId } = await params;
  const access = await getProjectAccess(slug);
  if (!access?.permissions.has("jobs:read")) notFound();
  const run = await getRunView(slug, runId);
  if (!run) notFound();
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-600 dark:text-zinc-400">
        <Link href={`/projects/${slug}/jobs`} className="hover:underline">
          {access.project.name}
        </Link>{" "}
        / Run <span className="font-mono">{run.id.slice(0, 8)}</span>
      </nav>
      <RunLive initial={run} canWrite={access.permissions.has("jobs:write")} canRedrive={canRedrive(access)} />
    </div>
  );
}
