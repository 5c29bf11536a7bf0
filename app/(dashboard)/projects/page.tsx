import type { Metadata } from "next";
import Link from "next/link";
import { listMyProjects } from "@/lib/dal/projects";
import { listMyTeams } from "@/lib/dal/teams";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Projects" };

export default async function ProjectsPage() {
  const [projects, teams] = await Promise.all([listMyProjects(), listMyTeams()]);
  return (
    <div>
      <div className="mb-4 flex items-baseline justify-between gap-3">
        <h1 className="text-2xl font-semibold">Projects</h1>
        <TextLink href="/runs" className="text-sm">
          Run monitor →
        </TextLink>
      </div>
      {teams.length > 0 && (
        <ul aria-label="Your teams" className="mb-4 flex flex-wrap gap-x-4 gap-y-1 text-sm">
          {teams.map((t) => (
            <li key={t.slug}>
              <span className="font-medium">{t.name}</span> <span className="text-zinc-600 dark:text-zinc-400">({t.role})</span>
              {t.canManage && (
                <TextLink href={`/teams/${t.slug}/settings`} aria-label={`Team settings for ${t.name}`} className="ml-2">
                  Team settings
                </TextLink>
              )}
            </li>
          ))}
        </ul>
      )}
      {projects.length === 0 ? (
        <p className="text-zinc-600 dark:text-zinc-400">You are not in a team with projects yet. Ask a team admin to invite you.</p>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2">
          {projects.map((p) => (
            <li key={p.slug}>
              <Link href={`/projects/${p.slug}/jobs`} className="block rounded-lg border border-zinc-200 bg-white p-4 hover:border-indigo-400 dark:border-zinc-800 dark:bg-zinc-900">
                <span className="block font-medium">{p.name}</span>
                <span className="text-sm text-zinc-600 dark:text-zinc-400">{p.teamName}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
