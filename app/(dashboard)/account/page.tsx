import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { formatTimestamp } from "@/app/(dashboard)/_components/format";
import { getAccount } from "@/lib/dal/account";
import { getCurrentUser } from "@/lib/dal/users";
import { NameForm, PasswordForm, SignOutOthersButton } from "./_components/account-forms";

export const metadata: Metadata = { title: "Your account" };

/** A short, recognisable name for a browser from its user agent (display only). */
function deviceOf(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const browser = /Edg\//.test(userAgent) ? "Edge" : /Firefox\//.test(userAgent) ? "Firefox" : /Chrome\//.test(userAgent) ? "Chrome" : /Safari\//.test(userAgent) ? "Safari" : /curl|node|undici/i.test(userAgent) ? "Script" : "Browser";
  const os = /Windows/.test(userAgent) ? "Windows" : /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : null;
  return os ? `${browser} on ${os}` : browser;
}

export default async function AccountPage() {
  // The layout redirects a signed-out visitor too, but renders alongside: do not throw meanwhile.
  if (!(await getCurrentUser())) redirect("/sign-in");
  const account = await getAccount();
  const others = account.sessions.filter((s) => !s.current).length;
  return (
    <div className="max-w-2xl space-y-10">
      <div>
        <h1 className="text-2xl font-semibold">Your account</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Signed in as <span className="font-medium text-zinc-900 dark:text-zinc-100">{account.email}</span>
          {account.instanceRole !== "user" && ` · instance ${account.instanceRole}`}
        </p>
      </div>

      <section aria-labelledby="profile">
        <h2 id="profile" className="mb-3 text-lg font-medium">
          Profile
        </h2>
        <NameForm name={account.name} />
      </section>

      <section aria-labelledby="password">
        <h2 id="password" className="mb-3 text-lg font-medium">
          Password
        </h2>
        <PasswordForm email={account.email} />
      </section>

      <section aria-labelledby="sessions">
        <h2 id="sessions" className="mb-1 text-lg font-medium">
          Sessions
        </h2>
        <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">Browsers signed in to your account. Addresses are as the browser&apos;s network reported them.</p>
        <ul className="mb-3 divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
          {account.sessions.map((s) => (
            <li key={s.id} data-testid="session-row" className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-3 py-2 text-sm">
              <span className="min-w-0">
                <span className="font-medium" title={s.userAgent ?? undefined}>
                  {deviceOf(s.userAgent)}
                </span>
                {s.current && <span className="ml-2 rounded bg-emerald-100 px-1.5 py-0.5 text-xs text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-300">this session</span>}
                <span className="block text-xs text-zinc-600 dark:text-zinc-400">
                  {s.ip ?? "address unknown"} · signed in <time dateTime={s.createdAt}>{formatTimestamp(s.createdAt)}</time>
                </span>
              </span>
              <span className="text-xs text-zinc-600 dark:text-zinc-400">
                last used <RelativeTime iso={s.lastSeenAt} />
              </span>
            </li>
          ))}
        </ul>
        <SignOutOthersButton others={others} />
      </section>
    </div>
  );
}
