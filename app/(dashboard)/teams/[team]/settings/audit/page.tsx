import type { Metadata } from "next";
import type { ReactNode } from "react";
import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { listTeamAudit, type AuditEventView } from "@/lib/dal/teams";
import { readOrForbidden } from "../_components/guard";
import { NoPermission } from "../_components/no-permission";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Audit log" };

const text = (details: Record<string, unknown>, key: string): string | null => (typeof details[key] === "string" ? (details[key] as string) : null);
const list = (details: Record<string, unknown>, key: string): string[] => (Array.isArray(details[key]) ? (details[key] as unknown[]).filter((v): v is string => typeof v === "string") : []);

function Who({ children }: { children: ReactNode }) {
  return <strong className="font-medium">{children}</strong>;
}

function Perms({ values }: { values: string[] }) {
  return <span className="font-mono text-xs">{values.join(", ")}</span>;
}

/** One event as a sentence: who did what to whom. */
function describe(e: AuditEventView): ReactNode {
  const actor = <Who>{e.actor.name ?? (e.actor.kind === "system" ? "Runboard" : "a deleted user")}</Who>;
  const via = e.actor.kind === "api_key" ? " (API key)" : "";
  const subject = <Who>{e.subjectName ?? "a former member"}</Who>;
  const d = e.details;
  const run = e.run ? (
    <TextLink href={`/projects/${e.run.projectSlug}/runs/${e.run.id}`} className="font-mono">
      {e.run.id.slice(0, 8)}
    </TextLink>
  ) : (
    <span>a deleted run</span>
  );
  switch (e.action) {
    case "member.role_changed":
      return <>{actor}{via} changed {subject}&apos;s role from {text(d, "from")} to {text(d, "to")}</>;
    case "member.grants_changed": {
      const added = list(d, "added");
      const removed = list(d, "removed");
      return (
        <>
          {actor}{via} {added.length > 0 && <>granted <Perms values={added} /> to</>}
          {added.length > 0 && removed.length > 0 && " and "}
          {removed.length > 0 && <>revoked <Perms values={removed} /> from</>} {subject}
        </>
      );
    }
    case "member.removed":
      return <>{actor}{via} removed {subject} ({text(d, "role")}) from the team</>;
    case "member.joined":
      return <>{subject} joined as {text(d, "role")}{list(d, "grants").length > 0 && <> with <Perms values={list(d, "grants")} /></>} by accepting an invite</>;
    case "invite.created":
      return <>{actor}{via} invited {text(d, "email")} as {text(d, "role")}{list(d, "grants").length > 0 && <> with <Perms values={list(d, "grants")} /></>}</>;
    case "invite.revoked":
      return d.replaced === true ? <>{actor}{via} replaced the open invite for {text(d, "email")} with a new one</> : <>{actor}{via} revoked the invite for {text(d, "email")}</>;
    case "api_key.created":
      return <>{actor}{via} created API key {text(d, "name") ?? text(d, "prefix") ?? ""}</>;
    case "api_key.revoked":
      return <>{actor}{via} revoked API key {text(d, "name") ?? text(d, "prefix") ?? ""}</>;
    case "webhook.created":
      return <>{actor}{via} added webhook endpoint <code className="break-all text-xs">{text(d, "url")}</code></>;
    case "webhook.updated":
      return <>{actor}{via} changed webhook endpoint <code className="break-all text-xs">{text(d, "url")}</code> ({list(d, "changed").join(", ")})</>;
    case "webhook.secret_rotated":
      return <>{actor}{via} rotated the secret of webhook endpoint <code className="break-all text-xs">{text(d, "url")}</code></>;
    case "webhook.deleted":
      return <>{actor}{via} deleted webhook endpoint <code className="break-all text-xs">{text(d, "url")}</code></>;
    case "alert_rule.created":
      return <>{actor}{via} added alert rule {text(d, "name")}</>;
    case "alert_rule.updated":
      return <>{actor}{via} changed alert rule {text(d, "name")} ({list(d, "changed").join(", ")})</>;
    case "alert_rule.deleted":
      return <>{actor}{via} deleted alert rule {text(d, "name")}</>;
    case "run.triggered":
      return <>{actor}{via} {text(d, "runAt") ? "scheduled" : "triggered"} run {run}{text(d, "jobType") && <> ({text(d, "jobType")})</>}{text(d, "runAt") && <> for {text(d, "runAt")}</>}</>;
    case "run.cancelled":
      return <>{actor}{via} cancelled run {run}</>;
    case "run.retried":
      return <>{actor}{via} retried run {run}</>;
    case "run.retry_now":
      return <>{actor}{via} skipped the retry wait of run {run}</>;
    case "schedule.set":
      return <>{actor}{via} set the {text(d, "jobType")} schedule to <code className="text-xs">{text(d, "cron")}</code></>;
    case "schedule.paused":
      return <>{actor}{via} paused the {text(d, "jobType")} schedule</>;
    case "schedule.resumed":
      return <>{actor}{via} resumed the {text(d, "jobType")} schedule</>;
    case "schedule.removed":
      return <>{actor}{via} removed the {text(d, "jobType")} schedule</>;
    case "team.created":
      return <>{actor}{via} created the team {text(d, "name")}</>;
    case "project.created":
      return <>{actor}{via} created project {text(d, "name")} ({text(d, "slug")})</>;
    case "project.renamed":
      return <>{actor}{via} renamed project {text(d, "slug")} from {text(d, "from")} to {text(d, "to")}</>;
    case "project.deleted":
      return <>{actor}{via} deleted project {text(d, "name")} ({text(d, "slug")}), restorable until {formatTimestamp(text(d, "restoreUntil") ?? "")}</>;
    case "project.restored":
      return <>{actor}{via} restored project {text(d, "name")} ({text(d, "slug")})</>;
    case "project.purged":
      return <>Soft-delete cleanup removed project {text(d, "name")} ({text(d, "slug")}) for good</>;
    default:
      // Instance events (system schedules, accounts) carry no team and never list here.
      return <>{actor} {e.action}</>;
  }
}

export default async function TeamAuditPage({ params, searchParams }: { params: Promise<{ team: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { team } = await params;
  const { cursor } = await searchParams;
  const page = await readOrForbidden(listTeamAudit(team, cursor));
  if (page === "forbidden") return <NoPermission teamName="this team" />;
  return (
    <section aria-labelledby="audit">
      <h2 id="audit" className="mb-1 text-lg font-medium">
        Audit log
      </h2>
      <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">Every change to roles, permissions, invites and API keys, and every run action, newest first.</p>
      {page.events.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {cursor ? "No older events." : "Nothing has happened yet. Changes to members, invites and runs show up here."}
        </p>
      ) : (
        <ol className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
          {page.events.map((e) => (
            <li key={e.id} data-testid="audit-event" data-event-id={e.id} data-action={e.action} className="flex flex-col gap-0.5 px-3 py-2 sm:flex-row sm:items-baseline sm:justify-between sm:gap-4">
              <p className="text-sm">{describe(e)}</p>
              <p className="shrink-0 text-xs text-zinc-600 dark:text-zinc-400">
                <time dateTime={e.createdAt} title={formatTimestamp(e.createdAt)}>
                  {formatRelative(e.createdAt)}
                </time>
                <span className="ml-1">· {formatTimestamp(e.createdAt)}</span>
              </p>
            </li>
          ))}
        </ol>
      )}
      <KeysetPager
        label="Audit pages"
        className="mt-3"
        links={[
          cursor ? { href: `/teams/${team}/settings/audit`, label: "← Newest" } : null,
          page.nextCursor ? { href: `/teams/${team}/settings/audit?cursor=${page.nextCursor}`, label: "Older →" } : null,
        ]}
      />
    </section>
  );
}
