import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { canInstance } from "@/lib/auth/permissions";
import { listInstanceUsers } from "@/lib/dal/instance-users";
import { getCurrentUser } from "@/lib/dal/users";
import { DisableButton } from "./_components/disable-button";
import { KeysetPager } from "@/app/(dashboard)/_components/ui/keyset-pager";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage({ searchParams }: { searchParams: Promise<{ q?: string; after?: string }> }) {
  const user = await getCurrentUser();
  // The instance owner only: for everyone else this page does not exist.
  if (!user || !canInstance(user.instanceRole, "users:manage")) notFound();
  const { q, after } = await searchParams;
  const page = await listInstanceUsers({ prefix: q, cursor: after });
  const href = (cursor?: string) => {
    const u = new URLSearchParams();
    if (q) u.set("q", q);
    if (cursor) u.set("after", cursor);
    const qs = u.toString();
    return qs ? `/users?${qs}` : "/users";
  };
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Users</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Every account on this Runboard. Disabling one ends its sessions and stops its API keys at once; enabling lets it sign in again.</p>
      </div>
      <form role="search" className="flex max-w-md gap-2" action="/users">
        <label className="sr-only" htmlFor="users-q">
          Email starts with
        </label>
        <input id="users-q" name="q" defaultValue={q} placeholder="Email starts with…" className="block w-full rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900" />
        <button type="submit" className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
          Find
        </button>
      </form>
      {page.rows.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No accounts{q ? ` with an email starting “${q}”` : ""}.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <caption className="sr-only">Accounts</caption>
            <thead className="bg-zinc-100 dark:bg-zinc-900">
              <tr>
                {["Email", "Name", "Instance role", "Status", "Last seen", ""].map((h, i) => (
                  <th key={i} scope="col" className={`px-3 py-2 text-left font-medium whitespace-nowrap ${i === 1 || i === 4 ? "hidden sm:table-cell" : ""}`}>
                    {h || <span className="sr-only">Actions</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950">
              {page.rows.map((u) => (
                <tr key={u.id} data-testid="user-row">
                  <td className="px-3 py-2">
                    <span className="break-all">{u.email}</span>
                    <span className="block text-xs text-zinc-600 sm:hidden dark:text-zinc-400">{u.name}</span>
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell">{u.name}</td>
                  <td className="px-3 py-2">{u.instanceRole}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {u.disabledAt ? (
                      <span title={formatTimestamp(u.disabledAt)} className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800 dark:bg-red-900/50 dark:text-red-300">
                        disabled
                      </span>
                    ) : (
                      <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300">active</span>
                    )}
                  </td>
                  <td className="hidden px-3 py-2 text-xs whitespace-nowrap sm:table-cell">{u.lastSeenAt ? <RelativeTime iso={u.lastSeenAt} /> : "never"}</td>
                  <td className="px-3 py-2">{u.isMe ? <span className="text-xs text-zinc-500">you</span> : <DisableButton userId={u.id} email={u.email} disabled={u.disabledAt !== null} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager
        links={[
          after ? { href: href(), label: "First page" } : null,
          page.nextCursor ? { href: href(page.nextCursor), label: "Next page" } : null,
        ]}
      />
    </div>
  );
}
