import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { canInstance } from "@/lib/auth/permissions";
import { listOutbox, OUTBOX_STATUSES, parseOutboxStatus } from "@/lib/dal/outbox";
import { getCurrentUser } from "@/lib/dal/users";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Outbox" };

const TONE: Record<string, string> = {
  pending: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  sent: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300",
  failed: "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300",
  unsent: "bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-300",
};

export default async function OutboxPage({ searchParams }: { searchParams: Promise<{ status?: string; cursor?: string }> }) {
  const user = await getCurrentUser();
  // Support and the instance owner only (outbox:read): for everyone else this page does not exist.
  if (!user || !canInstance(user.instanceRole, "outbox:read")) notFound();
  const search = await searchParams;
  const status = parseOutboxStatus(search.status);
  const page = await listOutbox(status, search.cursor);
  const href = (s: string | null, cursor?: string) => {
    const u = new URLSearchParams();
    if (s) u.set("status", s);
    if (cursor) u.set("cursor", cursor);
    const qs = u.toString();
    return qs ? `/outbox?${qs}` : "/outbox";
  };
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Outbox</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Every email Runboard means to send, newest first.</p>
      </div>
      {!page.smtpConfigured && (
        <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
          No SMTP server is configured (<code>SMTP_URL</code> is unset), so messages stay here as <strong>unsent</strong>. Set <code>SMTP_URL</code> and restart to deliver new ones.
        </p>
      )}
      <nav aria-label="Filter by status" className="flex flex-wrap gap-2 text-sm">
        {[null, ...OUTBOX_STATUSES].map((s) => (
          <Link
            key={s ?? "all"}
            href={href(s)}
            aria-current={s === status ? "page" : undefined}
            className={`rounded-full border px-3 py-1 ${s === status ? "border-indigo-600 bg-indigo-600 text-white" : "border-zinc-300 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"}`}
          >
            {s ?? "all"}
          </Link>
        ))}
      </nav>
      {page.rows.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No messages{status ? ` with status ${status}` : ""}. Runs triggered with “Notify me when done” and system alerts put their emails here.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <caption className="sr-only">Notifications</caption>
            <thead className="bg-zinc-100 dark:bg-zinc-900">
              <tr>
                {["Created", "Status", "To", "Subject", "Kind", "Attempts", "Last error"].map((h) => (
                  <th key={h} scope="col" className="px-3 py-2 text-left font-medium whitespace-nowrap">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950">
              {page.rows.map((n) => (
                <tr key={n.id} data-testid="outbox-row">
                  <td className="px-3 py-2 text-xs whitespace-nowrap">
                    <time dateTime={n.createdAt}>{formatTimestamp(n.createdAt)}</time>
                  </td>
                  <td className="px-3 py-2">
                    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${TONE[n.status]}`}>{n.status}</span>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">{n.toEmail}</td>
                  <td className="max-w-xs truncate px-3 py-2" title={n.subject}>
                    {n.subject}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs whitespace-nowrap">{n.kind}</td>
                  <td className="px-3 py-2">{n.attempts}</td>
                  <td className="max-w-xs truncate px-3 py-2 text-red-700 dark:text-red-400" title={n.lastError ?? undefined}>
                    {n.lastError ?? ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager
        links={[
          search.cursor ? { href: href(status), label: "Newest" } : null,
          page.nextCursor ? { href: href(status, page.nextCursor), label: "Older messages" } : null,
        ]}
      />
    </div>
  );
}
