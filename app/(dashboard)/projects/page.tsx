import type { Metadata } from "next";
import Link from "next/link";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { listDeletedProjects, listMyProjects, type ProjectListItem } from "@/lib/dal/projects";
import { listMyTeams } from "@/lib/dal/teams";
import { createProjectAction, createTeamAction, restoreProjectAction } from "./actions";
import { NameForm } from "./_components/name-form";
import { ProjectStateButton } from "./_components/project-state-button";

export const metadata: Metadata = { title: "Projects" };

const link = "text-indigo-700 hover:underline dark:text-indigo-400";
const muted = "text-zinc-600 dark:text-zinc-400";

type Group = { slug: string; name: string; canManage: boolean; projects: ProjectListItem[] };

export default async function ProjectsPage() {
  const [projects, teams, deleted] = await Promise.all([listMyProjects(), listMyTeams(), listDeletedProjects()]);
  // Your teams first (even without projects yet), then teams you read through an instance role.
  const groups = new Map<string, Group>(teams.map((t) => [t.slug, { slug: t.slug, name: t.name, canManage: t.canManage, projects: [] }]));
  for (const p of projects) {
    const group = groups.get(p.teamSlug) ?? { slug: p.teamSlug, name: p.teamName, canManage: false, projects: [] };
    group.projects.push(p);
    groups.set(p.teamSlug, group);
  }
  return (
    <div className="space-y-8">
      <div className="flex items-baseline justify-between gap-3">
        <h1 className="text-2xl font-semibold">Projects</h1>
        <Link href="/runs" className={`text-sm ${link}`}>
          Run monitor →
        </Link>
      </div>

      {teams.length > 0 && (
        <ul aria-label="Your teams" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          {teams.map((t) => (
            <li key={t.slug}>
              <span className="font-medium">{t.name}</span> <span className={muted}>({t.role})</span>
              {t.canManage && (
                <Link href={`/teams/${t.slug}/settings`} aria-label={`Team settings for ${t.name}`} className={`ml-2 ${link}`}>
                  Team settings
                </Link>
              )}
            </li>
          ))}
        </ul>
      )}

      {groups.size === 0 && <p className={muted}>You are not in a team yet. Create one below, or ask a team admin to invite you.</p>}

      {[...groups.values()].map((g) => (
        <section key={g.slug} aria-labelledby={`team-${g.slug}`} data-testid={`team-${g.slug}`} className="space-y-3">
          <h2 id={`team-${g.slug}`} className="text-lg font-medium break-all">
            {g.name}
          </h2>
          {g.projects.length === 0 ? (
            <p className={`text-sm ${muted}`}>{g.canManage ? "No projects yet: create the first one." : "No projects yet. A team admin can create one."}</p>
          ) : (
            <ul className="grid gap-3 sm:grid-cols-2">
              {g.projects.map((p) => (
                <li key={p.slug} className="flex items-start justify-between gap-2 rounded-lg border border-zinc-200 bg-white p-4 hover:border-indigo-400 dark:border-zinc-800 dark:bg-zinc-900">
                  <Link href={`/projects/${p.slug}/jobs`} className="min-w-0 flex-1">
                    <span className="block font-medium break-words">{p.name}</span>
                    <span className={`text-sm ${muted}`}>
                      {p.teamName} · <span className="font-mono text-xs">{p.slug}</span>
                    </span>
                  </Link>
                  {g.canManage && (
                    <Link href={`/projects/${p.slug}/settings`} aria-label={`Settings of ${p.slug}`} className={`shrink-0 text-sm ${link}`}>
                      Settings
                    </Link>
                  )}
                </li>
              ))}
            </ul>
          )}
          {g.canManage && (
            <div className="rounded-lg border border-dashed border-zinc-300 p-3 dark:border-zinc-700">
              <NameForm action={createProjectAction} label={`New project in ${g.name}`} submitLabel="Create project" hidden={{ teamSlug: g.slug }} placeholder="e.g. Billing" linkToProject />
            </div>
          )}
        </section>
      ))}

      {deleted.length > 0 && (
        <section aria-labelledby="deleted-projects" className="space-y-3">
          <h2 id="deleted-projects" className="text-lg font-medium">
            Recently deleted
          </h2>
          <p className={`text-sm ${muted}`}>Deleted projects are hidden everywhere and take no runs. Restore one until its date; after that, soft-delete cleanup removes it with its runs and files.</p>
          <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
            {deleted.map((p) => (
              <li key={p.slug} data-testid={`deleted-${p.slug}`} className="flex flex-col gap-2 p-3 sm:flex-row sm:items-center sm:justify-between">
                <div className="min-w-0">
                  <span className="block font-medium break-words">{p.name}</span>
                  <span className={`text-sm ${muted}`}>
                    {p.teamName} · <span className="font-mono text-xs">{p.slug}</span> · restore until <time dateTime={p.restoreUntil}>{formatTimestamp(p.restoreUntil)}</time>
                  </span>
                </div>
                <ProjectStateButton action={restoreProjectAction} projectSlug={p.slug} projectName={p.name} kind="restore" />
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="new-team" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
        <h2 id="new-team" className="font-medium">
          Create a team
        </h2>
        <p className={`mb-2 text-sm ${muted}`}>You become its owner: you create its projects and invite its members.</p>
        <NameForm action={createTeamAction} label="Team name" submitLabel="Create team" placeholder="e.g. Platform" />
      </section>
    </div>
  );
}
