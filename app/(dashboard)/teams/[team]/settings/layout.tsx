import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { getTeamAccess } from "@/lib/dal/access";
import { NoPermission } from "./_components/no-permission";
import { SettingsTabs } from "./_components/settings-tabs";

export const metadata: Metadata = { title: "Team settings" };

/**
 * The frame of a team's settings. Another team's settings are "not found"; a member without
 * team:manage sees only a message. Each page still checks through the DAL itself.
 */
export default async function TeamSettingsLayout({ children, params }: { children: ReactNode; params: Promise<{ team: string }> }) {
  const { team } = await params;
  const access = await getTeamAccess(team);
  if (!access) notFound();
  const canManage = access.permissions.has("team:manage");
  return (
    <div>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        <Link href="/projects" className="hover:underline">
          Projects
        </Link>{" "}
        / {access.team.name}
      </p>
      <h1 className="mb-4 text-2xl font-semibold">Team settings</h1>
      {canManage ? (
        <>
          <SettingsTabs teamSlug={access.team.slug} />
          {children}
        </>
      ) : (
        <NoPermission teamName={access.team.name} />
      )}
    </div>
  );
}
