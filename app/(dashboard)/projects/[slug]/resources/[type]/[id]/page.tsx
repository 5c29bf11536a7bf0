import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RunLinksTable } from "@/app/(dashboard)/_components/run-links-table";
import { getProjectAccess } from "@/lib/dal/access";
import { listProjectResourceRuns } from "@/lib/dal/resources";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Resource runs" };

export default async function ResourceRunsPage({ params, searchParams }: { params: Promise<{ slug: string; type: string; id: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { slug, type, id } = await params;
  const { cursor } = await searchParams;
  const access = await getProjectAccess(slug);
  if (!access?.permissions.has("jobs:read")) notFound();
  const page = await listProjectResourceRuns(slug, type, id, cursor);
  if (!page) notFound();
  const base = `/projects/${slug}/resources/${type}/${id}`;
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-600 dark:text-zinc-400">
        <Link href={`/projects/${slug}/jobs`} className="hover:underline">
          {access.project.name}
        </Link>{" "}
        / Resource
      </nav>
      <h1 className="text-2xl font-semibold">
        Runs for {type} <span className="font-mono text-lg break-all">{id}</span>
      </h1>
      <RunLinksTable
        showWhere={false}
        empty="No runs of this project worked on this resource."
        rows={page.rows.map((r) => ({ ...r, href: `/projects/${slug}/runs/${r.id}`, where: null, message: r.errorMessage }))}
      />
      <KeysetPager
        links={[
          cursor ? { href: base, label: "Newest" } : null,
          page.nextCursor ? { href: `${base}?cursor=${page.nextCursor}`, label: "Older runs" } : null,
        ]}
      />
    </div>
  );
}
