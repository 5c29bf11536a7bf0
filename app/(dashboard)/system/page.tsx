import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { canInstance } from "@/lib/auth/permissions";
import { getSystemSchedules } from "@/lib/dal/schedules";
import { getCurrentUser } from "@/lib/dal/users";
import { SystemScheduleControls } from "./_components/system-schedule-controls";

export const metadata: Metadata = { title: "System jobs" };

export default async function SystemPage() {
  const user = await getCurrentUser();
  // Tenants never see Runboard's own jobs: for them this page does not exist.
  if (!user || !canInstance(user.instanceRole, "schedules:read")) notFound();
  const manage = canInstance(user.instanceRole, "schedules:manage");
  const schedules = await getSystemSchedules();
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">System jobs</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Runboard&apos;s own maintenance jobs and their schedules (UTC). A tick that finds the previous run still active is skipped and counted. The CLI does the same: <code>runboard system list|pause|resume|run</code>.
        </p>
      </div>
      <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
        {schedules.map((s) => (
          <li key={s.jobType} data-testid={`system-${s.jobType}`} className="flex flex-col gap-2 px-4 py-3 md:flex-row md:items-start md:justify-between">
            <div className="min-w-0 space-y-1">
              <p className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{s.label}</span>
                <code className="text-xs text-zinc-500">{s.jobType}</code>
                {s.cron ? <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{s.cron}</code> : <span className="text-xs text-zinc-500">on demand</span>}
                {s.cron &&
                  (s.paused ? (
                    <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900/50 dark:text-amber-300">paused</span>
                  ) : (
                    <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300">active</span>
                  ))}
              </p>
              <p className="text-sm text-zinc-600 dark:text-zinc-400">{s.description}</p>
              <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs text-zinc-600 dark:text-zinc-400">
                {s.cron && (
                  <>
                    <dt>Next run</dt>
                    <dd data-testid="next-run">{s.nextRunAt ? <RelativeTime iso={s.nextRunAt} /> : "— (paused)"}</dd>
                    <dt>Last tick</dt>
                    <dd>{s.lastTickAt ? <RelativeTime iso={s.lastTickAt} /> : "none yet"}</dd>
                  </>
                )}
                <dt>Last run</dt>
                <dd>
                  {s.lastRun ? (
                    <span title={`runboard system show ${s.lastRun.id}`}>
                      <StatusBadge status={s.lastRun.status} /> <RelativeTime iso={s.lastRun.queuedAt} /> <code className="font-mono">{s.lastRun.id.slice(0, 8)}</code>
                    </span>
                  ) : (
                    "never run"
                  )}
                </dd>
                {s.cron && (
                  <>
                    <dt>Skipped</dt>
                    <dd data-testid="skipped">
                      {s.skippedCount === 0 ? (
                        "0"
                      ) : (
                        <>
                          {s.skippedCount} · last <RelativeTime iso={s.lastSkippedAt} />
                        </>
                      )}
                    </dd>
                  </>
                )}
              </dl>
            </div>
            {manage && <SystemScheduleControls jobType={s.jobType} label={s.label} scheduled={s.cron !== null} paused={s.paused} runnableNow={s.runnableNow} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
