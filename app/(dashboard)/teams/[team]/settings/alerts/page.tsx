import type { Metadata } from "next";
import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { getAlertFormChoices, listAlertRules, MAX_ALERT_RULES_PER_TEAM } from "@/lib/dal/alerts";
import { readOrForbidden } from "../_components/guard";
import { NoPermission } from "../_components/no-permission";
import { NewRule } from "./_components/new-rule";
import { RuleRow } from "./_components/rule-row";

export const metadata: Metadata = { title: "Alerts · Runboard" };

const STATUS_WORDS = { failed: "fails", dead_letter: "is dead-lettered" } as const;

const chip = "rounded bg-zinc-100 px-1 text-xs dark:bg-zinc-800";

export default async function AlertsPage({ params }: { params: Promise<{ team: string }> }) {
  const { team } = await params;
  const read = await readOrForbidden(Promise.all([listAlertRules(team), getAlertFormChoices(team)]));
  if (read === "forbidden") return <NoPermission teamName="this team" />;
  const [rules, choices] = read;
  const labels = new Map(choices.jobTypes.map((t) => [t.name, t.label]));
  return (
    <div className="space-y-6">
      <section aria-labelledby="alerts">
        <h2 id="alerts" className="mb-1 text-lg font-medium">
          Alerts
        </h2>
        <p className="max-w-2xl text-sm text-zinc-600 dark:text-zinc-400">
          Email the team when a run of the chosen job types fails or is dead-lettered. Each rule sends at most one email per job type per throttle window; failures inside the window are counted
          and sent as one digest when it ends. Only people who can read this team&apos;s runs are emailed.
        </p>
      </section>
      <NewRule teamSlug={team} choices={choices} atLimit={rules.length >= MAX_ALERT_RULES_PER_TEAM} />
      <section aria-labelledby="rules">
        <h2 id="rules" className="font-medium">
          Rules ({rules.length})
        </h2>
        {rules.length === 0 ? (
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">No alert rules yet. Add one above; the next matching failure is emailed.</p>
        ) : (
          <ul className="mt-2 divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
            {rules.map((r) => (
              <RuleRow key={r.id} teamSlug={team} rule={r} choices={choices}>
                <div className="min-w-0 space-y-1 text-sm">
                  <p className="flex flex-wrap items-center gap-2">
                    <span className="font-medium break-words">{r.name}</span>
                    <span
                      className={`rounded px-1.5 text-xs ${r.enabled ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" : "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"}`}
                    >
                      {r.enabled ? "enabled" : "disabled"}
                    </span>
                  </p>
                  <p data-testid="rule-job-types" className="flex flex-wrap gap-1">
                    {r.jobTypes.map((t) => (
                      <code key={t} className={chip} title={labels.get(t) ?? t}>
                        {t}
                      </code>
                    ))}
                  </p>
                  <p data-testid="rule-summary" className="text-zinc-700 dark:text-zinc-300">
                    When a run in {r.project ? <strong className="font-medium">{r.project.name}</strong> : "any project"} {r.statuses.map((s) => STATUS_WORDS[s]).join(" or ")}, email{" "}
                    {r.recipients === "admins" ? "the owners and admins" : r.members.length > 0 ? r.members.map((m) => m.name).join(", ") : "nobody (its members have left)"}, at most once
                    every {r.throttleMinutes === 1 ? "minute" : `${r.throttleMinutes} minutes`} per job type.
                  </p>
                  <p className="text-xs text-zinc-600 dark:text-zinc-400">
                    {r.lastAlertAt ? (
                      <>
                        Last alert{" "}
                        <time dateTime={r.lastAlertAt} title={formatTimestamp(r.lastAlertAt)}>
                          {formatRelative(r.lastAlertAt)}
                        </time>
                      </>
                    ) : (
                      "No alert sent yet"
                    )}
                    {" · "}added{" "}
                    <time dateTime={r.createdAt} title={formatTimestamp(r.createdAt)}>
                      {formatRelative(r.createdAt)}
                    </time>
                    {r.createdBy && ` by ${r.createdBy}`}
                  </p>
                </div>
              </RuleRow>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
