import type { PgBoss } from "pg-boss";
import { clientOf, type Db, type DbOrTx, type Tx } from "@/lib/db/client";
import { notifications, type AlertRecipients, type RunError, type RunStatus } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { alertDigestEmail, runAlertEmail, type AlertRuleFacts } from "./alert-email";
import { DEFAULT_RUNBOARD_URL, type EmailContent } from "./messages";
import { enqueueDelivery } from "./outbox";

/**
 * Team alert rules (docs/alerts.md). A run that ends failed or dead-lettered is matched against
 * its team's enabled rules inside the transaction that ends it (the settle path calls
 * enqueueRunAlerts). Per rule and job type, the first match opens a throttle window and is emailed
 * at once; matches while the window is open are only counted on its alert_windows row. When the
 * window ends, sendDueAlertDigests (every worker's sweep) emails what was held back as one digest
 * and opens the next window; a window that held nothing back just lapses.
 */

const ALERTED: readonly RunStatus[] = ["failed", "dead_letter"];
/** The digest names this many of the runs it summarises. */
export const DIGEST_EXAMPLES = 5;
/** Digests written per sweep transaction; the next tick takes the rest. */
const DIGESTS_PER_SWEEP = 20;
/** A bound on one email's recipients (a team's admins, or the members a rule names). */
const MAX_RECIPIENTS = 200;

const baseUrl = () => process.env.RUNBOARD_URL || DEFAULT_RUNBOARD_URL;
/** Drizzle's postgres.js client hands timestamps back as text. */
const toDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));
const params = (values: unknown[]) => values as never[];

/**
 * Of these ends, the job types some enabled rule (of any team) names: the settle path's cheap
 * question before it gives a failed end a transaction. No query when nothing failed.
 */
export async function alertedJobTypes(db: DbOrTx, ends: readonly { jobType: string; status: RunStatus }[]): Promise<Set<string>> {
  const types = [...new Set(ends.filter((e) => ALERTED.includes(e.status)).map((e) => e.jobType))];
  if (types.length === 0) return new Set();
  const rows = await clientOf(db).unsafe<{ job_type: string }[]>(
    `select distinct t.job_type from alert_rules r cross join lateral unnest(r.job_types) as t(job_type)
     where r.enabled and r.job_types && $1::text[] and t.job_type = any($1::text[])`,
    params([types]),
  );
  return new Set(rows.map((r) => r.job_type));
}

type RuleRow = {
  rule_id: string;
  rule_name: string;
  team_id: string;
  team_name: string;
  team_slug: string;
  throttle_seconds: number;
  recipients: AlertRecipients;
  recipient_ids: string[];
};

type MatchRow = RuleRow & {
  run_id: string;
  job_type: string;
  status: RunStatus;
  started_at: Date | string | null;
  completed_at: Date | string | null;
  attempts: number;
  progress_message: string | null;
  error: RunError | null;
  error_message: string | null;
  project_name: string;
  project_slug: string;
};

const ruleFacts = (r: RuleRow): AlertRuleFacts => ({ name: r.rule_name, teamName: r.team_name, teamSlug: r.team_slug, throttleSeconds: r.throttle_seconds, recipients: r.recipients });

/**
 * Who a rule emails now: current members of its team, not disabled, who can read the team's runs
 * (owners, admins, members granted jobs:read), and for `members` rules only those it names. Read
 * at each email, so someone removed or disabled mid-window gets nothing more.
 */
async function recipientsOf(tx: Tx, rule: RuleRow): Promise<string[]> {
  const rows = await clientOf(tx).unsafe<{ email: string }[]>(
    `select u.email from team_members m join users u on u.id = m.user_id
     where m.team_id = $1 and u.disabled_at is null
       and (m.role in ('owner', 'admin') or 'jobs:read' = any(m.grants))
       and ($2 = 'admins' and m.role in ('owner', 'admin') or $2 = 'members' and m.user_id = any($3::uuid[]))
     order by lower(u.email) limit ${MAX_RECIPIENTS}`,
    params([rule.team_id, rule.recipients, rule.recipient_ids]),
  );
  return rows.map((r) => r.email);
}

/** One email per recipient into the outbox, each with its delivery run, in the caller's transaction. */
async function writeEmails(tx: Tx, boss: PgBoss, rule: RuleRow, kind: "alert" | "alert_digest", runId: string | null, content: EmailContent): Promise<number> {
  const to = await recipientsOf(tx, rule);
  if (to.length === 0) return 0;
  const rows = await tx
    .insert(notifications)
    .values(to.map((toEmail) => ({ kind, runId, alertRuleId: rule.rule_id, toEmail, ...content })))
    .returning({ id: notifications.id });
  for (const row of rows) await enqueueDelivery(tx, boss, row.id);
  return rows.length;
}

/**
 * The settle path's hook: match these just-ended runs against their teams' enabled rules and
 * email or count each match, inside the transaction that ended them. Windows are taken in
 * (rule, job type) order, so two ending transactions never wait on each other's in reverse.
 */
export async function enqueueRunAlerts(tx: Tx, boss: PgBoss, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  try {
    // In a savepoint: an alert that cannot be written is logged, and never holds up the runs' end.
    await tx.transaction((savepoint) => writeRunAlerts(savepoint, boss, runIds));
  } catch (error) {
    console.error(`[alerts] could not write the alerts of ${runIds.length} ended run(s)`, error);
  }
}

async function writeRunAlerts(tx: Tx, boss: PgBoss, runIds: readonly string[]): Promise<void> {
  const matches = await clientOf(tx).unsafe<MatchRow[]>(
    `select a.id as rule_id, a.name as rule_name, a.team_id, t.name as team_name, t.slug as team_slug, a.throttle_seconds,
            a.recipients, a.recipient_ids, r.id as run_id, r.job_type, r.status, r.started_at, r.completed_at,
            r.attempt_count as attempts, r.progress_message, r.error, r.error_message, p.name as project_name, p.slug as project_slug
     from job_runs r
     join projects p on p.id = r.project_id and p.deleted_at is null
     join alert_rules a on a.team_id = r.team_id and a.enabled and r.job_type = any(a.job_types) and r.status = any(a.statuses)
       and (a.project_id is null or a.project_id = r.project_id)
     join teams t on t.id = a.team_id
     where r.id = any($1::uuid[]) and r.status in ('failed', 'dead_letter')
     order by a.id, r.job_type, r.id`,
    params([runIds]),
  );
  for (const m of matches) {
    // One statement decides, under the window row's lock: open a lapsed window (this run is
    // emailed) or count the run for the digest. A window still holding runs stays shut past its
    // end until the digest has gone, so nothing counted is ever dropped by a reopen.
    const [window] = await clientOf(tx).unsafe<{ suppressed: number; window_ends_at: Date | string }[]>(
      `insert into alert_windows as w (rule_id, job_type, window_ends_at)
       values ($1, $2, now() + make_interval(secs => $3))
       on conflict (rule_id, job_type) do update set
         window_ends_at = case when w.window_ends_at <= now() and w.suppressed = 0 then excluded.window_ends_at else w.window_ends_at end,
         suppressed = case when w.window_ends_at <= now() and w.suppressed = 0 then 0 else w.suppressed + 1 end,
         suppressed_dead_letter = case when w.window_ends_at <= now() and w.suppressed = 0 then 0 else w.suppressed_dead_letter + $4 end,
         first_suppressed_at = case when w.window_ends_at <= now() and w.suppressed = 0 then null else coalesce(w.first_suppressed_at, now()) end,
         last_suppressed_at = case when w.window_ends_at <= now() and w.suppressed = 0 then null else now() end,
         sample_run_ids = case when w.window_ends_at <= now() and w.suppressed = 0 then '{}'
                               when cardinality(w.sample_run_ids) < ${DIGEST_EXAMPLES} then w.sample_run_ids || $5::uuid
                               else w.sample_run_ids end
       returning suppressed, window_ends_at`,
      params([m.rule_id, m.job_type, m.throttle_seconds, m.status === "dead_letter" ? 1 : 0, m.run_id]),
    );
    if (!window || window.suppressed > 0) continue;
    const facts = {
      runId: m.run_id,
      jobLabel: getJobDefinition(m.job_type)?.label ?? m.job_type,
      status: m.status,
      projectName: m.project_name,
      projectSlug: m.project_slug,
      startedAt: toDate(m.started_at),
      completedAt: toDate(m.completed_at),
      attempts: m.attempts,
      progressMessage: m.progress_message,
      error: m.error,
      errorMessage: m.error_message,
    };
    await writeEmails(tx, boss, m, "alert", m.run_id, runAlertEmail(facts, ruleFacts(m), toDate(window.window_ends_at)!, baseUrl()));
  }
}

type ExampleRow = { run_id: string; project_name: string; project_slug: string; status: string; completed_at: Date | string | null; error_message: string | null };

type DueRow = RuleRow & {
  job_type: string;
  enabled: boolean;
  suppressed: number;
  suppressed_dead_letter: number;
  first_suppressed_at: Date | string;
  last_suppressed_at: Date | string;
  sample_run_ids: string[];
};

/**
 * Send the digests of windows that ended with runs held back (every worker's sweep calls this;
 * SKIP LOCKED keeps two workers off the same window). Each digest opens the next window, so a
 * rule still emails at most once per job type per window. A disabled rule's held-back runs are
 * dropped unsent. Returns how many windows were closed.
 */
export async function sendDueAlertDigests(db: Db, boss: PgBoss): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await clientOf(tx).unsafe<DueRow[]>(
      `select w.rule_id, w.job_type, w.suppressed, w.suppressed_dead_letter, w.first_suppressed_at, w.last_suppressed_at, w.sample_run_ids,
              a.name as rule_name, a.team_id, t.name as team_name, t.slug as team_slug, a.throttle_seconds, a.recipients, a.recipient_ids, a.enabled
       from alert_windows w join alert_rules a on a.id = w.rule_id join teams t on t.id = a.team_id
       where w.suppressed > 0 and w.window_ends_at <= now()
       order by w.rule_id, w.job_type
       limit ${DIGESTS_PER_SWEEP}
       for update of w skip locked`,
    );
    for (const d of due) {
      if (d.enabled) {
        const examples = await clientOf(tx).unsafe<ExampleRow[]>(
          `select r.id as run_id, p.name as project_name, p.slug as project_slug, r.status, r.completed_at, r.error_message
           from job_runs r join projects p on p.id = r.project_id
           where r.id = any($1::uuid[]) and r.team_id = $2
           order by r.completed_at nulls last, r.id`,
          params([d.sample_run_ids, d.team_id]),
        );
        const content = alertDigestEmail(
          {
            jobLabel: getJobDefinition(d.job_type)?.label ?? d.job_type,
            count: d.suppressed,
            deadLettered: d.suppressed_dead_letter,
            firstAt: toDate(d.first_suppressed_at)!,
            lastAt: toDate(d.last_suppressed_at)!,
            examples: examples.map((e) => ({ runId: e.run_id, projectName: e.project_name, projectSlug: e.project_slug, status: e.status, completedAt: toDate(e.completed_at), errorMessage: e.error_message })),
          },
          ruleFacts(d),
          baseUrl(),
        );
        await writeEmails(tx, boss, d, "alert_digest", null, content);
      }
      await clientOf(tx).unsafe(
        `update alert_windows set window_ends_at = now() + make_interval(secs => $3), suppressed = 0, suppressed_dead_letter = 0,
           first_suppressed_at = null, last_suppressed_at = null, sample_run_ids = '{}'
         where rule_id = $1 and job_type = $2`,
        params([d.rule_id, d.job_type, d.throttle_seconds]),
      );
    }
    return due.length;
  });
}
