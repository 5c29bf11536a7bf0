import type { ReactNode } from "react";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { getProjectAccess } from "@/lib/dal/access";
import { getDeletedProjectNotice } from "@/lib/dal/projects";
import { restoreProjectAction } from "../actions";
import { ProjectStateButton } from "../_components/project-state-button";

/**
 * A live project's pages render as they are (the page's own access read is the same cached
 * call). Only when the slug names nothing visible is a deleted project looked for: its team's
 * admins get "deleted, restore until …" instead of a bare not-found; everyone else the page's 404.
 */
export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  if (await getProjectAccess(slug)) return children;
  const notice = await getDeletedProjectNotice(slug);
  if (!notice) return children;
  return (
    <div className="max-w-2xl space-y-3">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">{notice.teamName}</p>
      <h1 className="text-2xl font-semibold break-words">{notice.name}</h1>
      <div role="status" data-testid="deleted-notice" className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950/40">
        {notice.expired ? (
          <p>
            This project was deleted on {formatTimestamp(notice.deletedAt)}. Its restore window ended on <time dateTime={notice.restoreUntil}>{formatTimestamp(notice.restoreUntil)}</time>; soft-delete cleanup removes it with its runs and files on its next
            pass.
          </p>
        ) : (
          <>
            <p>
              This project was deleted on {formatTimestamp(notice.deletedAt)}: it is hidden from lists, the API and triggers. You can restore it, with its runs and schedules, until{" "}
              <time dateTime={notice.restoreUntil} className="font-medium">
                {formatTimestamp(notice.restoreUntil)}
              </time>
              .
            </p>
            <ProjectStateButton action={restoreProjectAction} projectSlug={notice.slug} projectName={notice.name} kind="restore" />
          </>
        )}
      </div>
    </div>
  );
}
