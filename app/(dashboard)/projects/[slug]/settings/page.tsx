import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getProjectAccess } from "@/lib/dal/access";
import { RESTORE_DAYS } from "@/lib/dal/projects";
import { deleteProjectAction, renameProjectAction } from "../../actions";
import { NameForm } from "../../_components/name-form";
import { ProjectStateButton } from "../../_components/project-state-button";

export const metadata: Metadata = { title: "Project settings" };

export default async function ProjectSettingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const access = await getProjectAccess(slug);
  if (!access) notFound();
  const { project } = access;
  if (!access.permissions.has("team:manage")) {
    return (
      <div>
        <h1 className="mb-2 text-2xl font-semibold">{project.name}</h1>
        <p className="text-zinc-600 dark:text-zinc-400">Only the team&apos;s owners and admins can rename or delete this project.</p>
      </div>
    );
  }
  return (
    <div className="max-w-2xl space-y-8">
      <div>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{project.teamName}</p>
        <h1 className="text-2xl font-semibold break-words">{project.name}</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Address <code className="font-mono text-xs">/projects/{project.slug}</code> ·{" "}
          <Link href={`/projects/${project.slug}/jobs`} className="text-indigo-700 hover:underline dark:text-indigo-400">
            Jobs
          </Link>
        </p>
      </div>

      <section aria-labelledby="rename" className="space-y-2">
        <h2 id="rename" className="text-lg font-medium">
          Rename
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">The address stays the same, so links, API scripts and the CLI keep working.</p>
        <NameForm action={renameProjectAction} label="Project name" submitLabel="Rename" hidden={{ projectSlug: project.slug }} defaultValue={project.name} />
      </section>

      <section aria-labelledby="delete" className="space-y-2 rounded-lg border border-red-200 p-4 dark:border-red-900">
        <h2 id="delete" className="text-lg font-medium">
          Delete
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          The project disappears at once from lists, pages, the API and the CLI, and its schedules stop triggering. You can restore it for {RESTORE_DAYS} days; after that,
          soft-delete cleanup removes it for good with its runs and files. While a run of it is pending or running, deleting is refused and names the run: cancel it or let it
          finish first.
        </p>
        <ProjectStateButton action={deleteProjectAction} projectSlug={project.slug} projectName={project.name} kind="delete" />
      </section>
    </div>
  );
}
