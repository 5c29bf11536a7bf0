import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { signOut } from "@/lib/auth/config";
import { canInstance, isInstanceOperator } from "@/lib/auth/permissions";
import { getCurrentSession } from "@/lib/dal/users";
import { NavLink } from "./_components/nav-link";
import { ThemeToggle } from "./_components/theme-toggle";
import { Toaster } from "./_components/toaster";

async function signOutAction() {
  "use server";
  // Auth.js's signOut event revokes this cookie's session row, so a copy of the cookie dies too.
  await signOut({ redirectTo: "/sign-in" });
}

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const session = await getCurrentSession();
  if (!session) redirect("/sign-in");
  const { user } = session;
  const operator = isInstanceOperator(user.instanceRole);
  // Settings of the teams this user manages (usually one), read with the session; the projects page lists them all.
  const managed = session.navTeams;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-zinc-900">
        Skip to content
      </a>
      <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link href="/projects" className="text-lg font-semibold">
            Runboard
          </Link>
          <nav aria-label="Main" className="order-last -mx-1 flex w-full gap-1 overflow-x-auto sm:order-none sm:w-auto">
            <NavLink href="/projects">Projects</NavLink>
            <NavLink href="/runs">Monitor</NavLink>
            {managed.map((t) => (
              <NavLink key={t.slug} href={`/teams/${t.slug}/settings`}>
                {managed.length === 1 ? "Team" : t.name}
              </NavLink>
            ))}
            {canInstance(user.instanceRole, "errors:read-unredacted") && <NavLink href="/errors">Errors</NavLink>}
            {canInstance(user.instanceRole, "insights:read-all") && <NavLink href="/insights">Insights</NavLink>}
            {canInstance(user.instanceRole, "outbox:read") && <NavLink href="/outbox">Outbox</NavLink>}
            {canInstance(user.instanceRole, "workers:read") && <NavLink href="/workers">Workers</NavLink>}
            {canInstance(user.instanceRole, "queues:read") && <NavLink href="/queues">Queues</NavLink>}
            {canInstance(user.instanceRole, "users:manage") && <NavLink href="/users">Users</NavLink>}
            {canInstance(user.instanceRole, "schedules:read") && <NavLink href="/system">System</NavLink>}
          </nav>
          <div className="ml-auto flex items-center gap-2 text-sm">
            <Link href="/account" title="Your account" className="rounded px-1 text-zinc-600 hover:text-zinc-900 hover:underline dark:text-zinc-400 dark:hover:text-zinc-100">
              <span className="hidden sm:inline">{user.name}</span>
              <span className="sm:hidden">Account</span>
            </Link>
            {operator && <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800 dark:bg-amber-900/40 dark:text-amber-300">{user.instanceRole}</span>}
            <ThemeToggle />
            <form action={signOutAction}>
              <button type="submit" className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
      <Toaster />
    </div>
  );
}
