"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** Members, API keys, webhooks, alerts and the audit log: one tab bar for a team's settings. */
export function SettingsTabs({ teamSlug }: { teamSlug: string }) {
  const pathname = usePathname();
  const base = `/teams/${teamSlug}/settings`;
  const tabs = [
    { href: base, label: "Members" },
    { href: `${base}/api-keys`, label: "API keys" },
    { href: `${base}/webhooks`, label: "Webhooks" },
    { href: `${base}/alerts`, label: "Alerts" },
    { href: `${base}/audit`, label: "Audit log" },
  ];
  return (
    <nav aria-label="Team settings" className="mb-6 overflow-x-auto border-b border-zinc-200 dark:border-zinc-800">
      <ul className="flex gap-1 text-sm">
        {tabs.map((tab) => {
          const current = tab.href === base ? pathname === base : pathname.startsWith(tab.href);
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                aria-current={current ? "page" : undefined}
                className={`-mb-px inline-block border-b-2 px-3 py-2 whitespace-nowrap ${
                  current
                    ? "border-indigo-600 font-medium text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
                    : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
                }`}
              >
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
