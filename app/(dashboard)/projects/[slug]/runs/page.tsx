import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { HistoryView } from "@/app/(dashboard)/runs/_components/history-view";
import { getProjectAccess } from "@/lib/dal/access";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Run history" };

export default async function ProjectHistoryPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { slug } = await params;
  const access = await getProjectAccess(slug);
  if (!access) notFound();
  return (
    <div className="space-y-4">
      <div>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {access.project.teamName} ·{" "}
          <TextLink href={`/projects/${slug}/jobs`}>
            {access.project.name} jobs
          </TextLink>
        </p>
        <h1 className="text-2xl font-semibold">Run history</h1>
      </div>
      {access.permissions.has("jobs:read") ? (
        <HistoryView scope={{ project: slug }} base={`/projects/${slug}/runs`} searchParams={await searchParams} />
      ) : (
        <p className="text-zinc-600 dark:text-zinc-400">You do not have access to runs in this project. A team admin can grant you jobs:read.</p>
      )}
    </div>
  );
}
