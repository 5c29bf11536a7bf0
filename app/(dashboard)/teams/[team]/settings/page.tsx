import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { GRANTABLE_PERMISSIONS } from "@/lib/auth/permissions";
import { getTeamSettings } from "@/lib/dal/teams";
import { readOrForbidden } from "./_components/guard";
import { InviteForm, RevokeInvite } from "./_components/invite-form";
import { MembersTable } from "./_components/members-table";
import { NoPermission } from "./_components/no-permission";

export default async function TeamMembersPage({ params }: { params: Promise<{ team: string }> }) {
  const { team } = await params;
  const settings = await readOrForbidden(getTeamSettings(team));
  if (settings === "forbidden") return <NoPermission teamName="this team" />;
  const inviteRoles = settings.you.role === "owner" ? (["member", "admin", "owner"] as const) : (["member", "admin"] as const);

  return (
    <div className="space-y-10">
      <section aria-labelledby="members">
        <h2 id="members" className="mb-1 text-lg font-medium">
          Members <span className="text-sm font-normal text-zinc-500">({settings.members.length}{settings.membersTruncated ? "+" : ""})</span>
        </h2>
        <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
          Owners and admins can do everything. Members can do only what you grant them. Changes apply on their next page load.
        </p>
        <MembersTable members={settings.members} teamSlug={settings.team.slug} youRole={settings.you.role} />
        {settings.membersTruncated && <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">Showing the first {settings.members.length} members.</p>}
      </section>

      <section aria-labelledby="invite" className="max-w-2xl">
        <h2 id="invite" className="mb-3 text-lg font-medium">
          Invite someone
        </h2>
        <InviteForm teamSlug={settings.team.slug} roles={inviteRoles} grantable={GRANTABLE_PERMISSIONS} />
      </section>

      <section aria-labelledby="invites" className="max-w-2xl">
        <h2 id="invites" className="mb-3 text-lg font-medium">
          Open invites
        </h2>
        {settings.invites.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No open invites. Invite someone above and they get an email with a link to join.</p>
        ) : (
          <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
            {settings.invites.map((invite) => (
              <li key={invite.id} data-testid="invite-row" className="flex flex-wrap items-center justify-between gap-2 px-3 py-2">
                <div className="min-w-0">
                  <span className="block truncate font-medium">{invite.email}</span>
                  <span className="text-xs text-zinc-600 dark:text-zinc-400">
                    {invite.role}
                    {invite.grants.length > 0 && ` with ${invite.grants.join(", ")}`}
                    {invite.invitedBy && ` · invited by ${invite.invitedBy}`} ·{" "}
                    {invite.expired ? (
                      <span className="text-amber-700 dark:text-amber-400">expired</span>
                    ) : (
                      <time dateTime={invite.expiresAt} title={formatTimestamp(invite.expiresAt)}>
                        expires {formatRelative(invite.expiresAt)}
                      </time>
                    )}
                  </span>
                </div>
                <RevokeInvite teamSlug={settings.team.slug} inviteId={invite.id} email={invite.email} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
