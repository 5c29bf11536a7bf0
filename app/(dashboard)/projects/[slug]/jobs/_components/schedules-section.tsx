import Link from "next/link";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { getProjectSchedules } from "@/lib/dal/schedules";
import { projectJobDefinitions } from "@/lib/jobs/catalog";
import type { ProjectScheduleView } from "@/lib/jobs/project-schedules";
import { ScheduleForm, type SchedulableType } from "./schedule-form";
import { ScheduleRowActions } from "./schedule-row-actions";

const OUTCOME: Record<NonNullable<ProjectScheduleView["lastOutcome"]>, string> = {
  started: "started a run",
  skipped: "skipped: the previous run was still active",
  invalid_payload: "not run: the stored payload no longer fits the job",
  unknown_job_type: "not run: the job type no longer exists",
};

/** The project's cron schedules on its jobs page: next run, last tick, skipped ticks, and (jobs:write) the controls. */
export async function SchedulesSection({ slug, canWrite }: { slug: string; canWrite: boolean }) {
  const schedules = await getProjectSchedules(slug);
  const types: SchedulableType[] = projectJobDefinitions().map((d) => {
    const defaults = d.payload.safeParse({});
    return { name: d.name, label: d.label, defaults: defaults.success ? JSON.stringify(defaults.data) : null };
  });
  return (
    <section aria-labelledby="schedules">
      <h2 id="schedules" className="mb-1 text-lg font-medium">
        Schedules
      </h2>
      <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">A job type can run on a cron schedule (UTC). A tick that finds the schedule&apos;s previous run still active is skipped and counted.</p>
      {schedules.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No schedules yet.</p>
      ) : (
        <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
          {schedules.map((s) => (
            <li key={s.id} data-testid={`schedule-${s.jobType}`} className="flex flex-col gap-2 px-4 py-3 md:flex-row md:items-start md:justify-between">
              <div className="min-w-0 space-y-1">
                <p className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">{s.label}</span>
                  <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{s.cron}</code>
                  {s.paused ? (
                    <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900/50 dark:text-amber-300">paused</span>
                  ) : (
                    <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300">active</span>
                  )}
                </p>
                <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs text-zinc-600 dark:text-zinc-400">
                  <dt>Next run</dt>
                  <dd data-testid="next-run">{s.nextRunAt ? <RelativeTime iso={s.nextRunAt} /> : "— (paused)"}</dd>
                  <dt>Last tick</dt>
                  <dd>
                    {s.lastTickAt ? (
                      <>
                        <RelativeTime iso={s.lastTickAt} /> {s.lastOutcome && `· ${OUTCOME[s.lastOutcome]}`}
                      </>
                    ) : (
                      "none yet"
                    )}
                  </dd>
                  <dt>Last run</dt>
                  <dd>
                    {s.lastRun ? (
                      <Link href={`/projects/${slug}/runs/${s.lastRun.id}`} aria-label={`Last scheduled ${s.label} run`}>
                        <StatusBadge status={s.lastRun.status} />
                      </Link>
                    ) : (
                      "none yet"
                    )}
                  </dd>
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
                  {Object.keys(s.payload).length > 0 && (
                    <>
                      <dt>Payload</dt>
                      <dd className="truncate font-mono">{JSON.stringify(s.payload)}</dd>
                    </>
                  )}
                </dl>
              </div>
              {canWrite && <ScheduleRowActions projectSlug={slug} jobType={s.jobType} label={s.label} paused={s.paused} />}
            </li>
          ))}
        </ul>
      )}
      {canWrite && <ScheduleForm projectSlug={slug} types={types} />}
    </section>
  );
}
