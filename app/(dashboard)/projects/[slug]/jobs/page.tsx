import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import { StatusBadge } from "@/app/(dashboard)/_components/status-badge";
import { getProjectAccess } from "@/lib/dal/access";
import { listJobTypeRegistrations } from "@/lib/dal/job-types";
import { pausedJobTypes } from "@/lib/dal/queues";
import { getJobTypesOverview, listProjectRuns } from "@/lib/dal/runs";
import { unservedJobTypes } from "@/lib/dal/workers";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { describePayload } from "@/lib/jobs/web/form";
import { NoWorkerWarning } from "./_components/no-worker-warning";
import { RegistrationNote } from "./_components/registration-note";
import { PausedBadge, QueuesLink } from "./_components/queue-status";
import { RunJobForm } from "./_components/run-job-form";
import { RunsTable } from "./_components/runs-table";
import { SchedulesSection } from "./_components/schedules-section";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "Jobs" };

const RECENT_RUNS = 10;

export default async function JobsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const access = await getProjectAccess(slug);
  if (!access) notFound();
  if (!access.permissions.has("jobs:read")) {
    return (
      <div>
        <h1 className="mb-2 text-2xl font-semibold">{access.project.name}</h1>
        <p className="text-zinc-600 dark:text-zinc-400">You do not have access to jobs in this project. A team admin can grant you jobs:read.</p>
      </div>
    );
  }
  const canWrite = access.permissions.has("jobs:write");
  const [jobTypes, runs, unserved, paused] = await Promise.all([getJobTypesOverview(slug), listProjectRuns(slug), unservedJobTypes(slug), pausedJobTypes(slug)]);
  const registrations = await listJobTypeRegistrations(slug, jobTypes.map((jt) => jt.name));

  return (
    <div className="space-y-8">
      <div>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{access.project.teamName}</p>
        <h1 className="text-2xl font-semibold">{access.project.name}</h1>
        {!canWrite && <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">You can view runs here; running jobs needs the jobs:write permission.</p>}
      </div>

      <section aria-labelledby="job-types">
        <div className="mb-3 flex items-baseline justify-between gap-3">
          <h2 id="job-types" className="text-lg font-medium">
            Job types
          </h2>
          <QueuesLink projectSlug={slug} />
        </div>
        <ul className="grid gap-4 md:grid-cols-2 lg:grid-cols-3">
          {jobTypes.map((jt) => {
            const def = getJobDefinition(jt.name);
            return (
              <li key={jt.name} data-testid={`job-type-${jt.name}`} className="flex flex-col rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
                <div className="flex items-start justify-between gap-2">
                  <h3 className="font-medium">{jt.label}</h3>
                  {paused.has(jt.name) && <PausedBadge projectSlug={slug} />}
                  {jt.activeRunId && jt.activeRunScheduledFor && (
                    // A later run holds the slot but is not running: say when it starts.
                    <Link href={`/projects/${slug}/runs/${jt.activeRunId}`} className="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-medium whitespace-nowrap text-violet-800 dark:bg-violet-900/50 dark:text-violet-300">
                      Scheduled {formatTimestamp(jt.activeRunScheduledFor).slice(5, 16)} UTC
                    </Link>
                  )}
                  {jt.activeRunId && !jt.activeRunScheduledFor && (
                    <Link href={`/projects/${slug}/runs/${jt.activeRunId}`} className="rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-800 dark:bg-sky-900/50 dark:text-sky-300">
                      Running now
                    </Link>
                  )}
                </div>
                <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{jt.description}</p>
                <RegistrationNote registration={registrations.get(jt.name)} />
                <p className="mt-2 text-xs text-zinc-500">
                  {jt.lastRun ? (
                    <>
                      Last run{" "}
                      <Link href={`/projects/${slug}/runs/${jt.lastRun.id}`} aria-label={`Last ${jt.label} run`}>
                        <StatusBadge status={jt.lastRun.status} scheduledFor={jt.lastRun.scheduledFor} />
                      </Link>{" "}
                      <RelativeTime iso={jt.lastRun.queuedAt} />
                      {jt.lastRun.triggeredBy ? ` by ${jt.lastRun.triggeredBy}` : ""}
                      {jt.typicalMs !== null && <span className="block">Typically takes {formatDuration(jt.typicalMs)}</span>}
                    </>
                  ) : (
                    "Never run"
                  )}
                </p>
                <NoWorkerWarning message={unserved.get(jt.name)} />
                {canWrite && def && <RunJobForm projectSlug={slug} jobType={jt.name} label={jt.label} fields={describePayload(def)} />}
              </li>
            );
          })}
        </ul>
      </section>

      <SchedulesSection slug={slug} canWrite={canWrite} />

      <section aria-labelledby="history">
        <div className="mb-3 flex items-baseline justify-between gap-3">
          <h2 id="history" className="text-lg font-medium">
            Recent runs
          </h2>
          <TextLink href={`/projects/${slug}/runs`} className="text-sm">
            Full history →
          </TextLink>
        </div>
        <RunsTable rows={runs.rows.slice(0, RECENT_RUNS)} projectSlug={slug} />
      </section>
    </div>
  );
}
