import { formatDuration } from "@/lib/format";
import type { RunError, RunStatus } from "@/lib/db/schema";
import { errorView, redactText } from "@/lib/jobs/redact";

/** The facts about an ended run that an email may state; nothing here reads the database. */
export type RunFacts = {
  runId: string;
  jobLabel: string;
  status: RunStatus;
  projectName: string | null;
  projectSlug: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  attempts: number;
  progressMessage: string | null;
  error: RunError | null;
  errorMessage: string | null;
};

export type EmailContent = { subject: string; bodyText: string };

const OUTCOME: Record<RunStatus, string> = {
  pending: "is waiting",
  running: "is running",
  completed: "completed",
  failed: "failed",
  cancelled: "was cancelled",
  dead_letter: "failed after all retries",
};

export const DEFAULT_RUNBOARD_URL = "http://localhost:3000";

export function runUrl(baseUrl: string, projectSlug: string, runId: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(projectSlug)}/runs/${runId}`;
}

export { formatDuration };

function durationOf(facts: RunFacts): string {
  if (!facts.startedAt) return "it never started";
  return formatDuration((facts.completedAt ?? facts.startedAt).getTime() - facts.startedAt.getTime());
}

/**
 * Email text leaves Runboard, so its error is the tenant view: secrets masked, no stack, plus the
 * reference support uses to find the full detail.
 */
function errorLine(facts: RunFacts): string | null {
  const message = facts.error?.message ?? facts.errorMessage;
  if (!message) return null;
  const reference = facts.error ? ` (reference ${errorView(facts.error, facts.runId, false).reference})` : "";
  return `Error: ${redactText(message)}${reference}`;
}

/** Status, duration, attempts, progress and the redacted error, one per line. */
export function factLines(facts: RunFacts): string[] {
  const lines = [`Status: ${facts.status}`, `Duration: ${durationOf(facts)}`, `Attempts: ${facts.attempts}`];
  if (facts.progressMessage) lines.push(`Progress: ${facts.progressMessage}`);
  const error = errorLine(facts);
  if (error) lines.push(error);
  return lines;
}

/** The per-trigger alert to the person who started the run with "Notify me when done". */
export function runFinishedEmail(facts: RunFacts, baseUrl: string): EmailContent {
  const outcome = OUTCOME[facts.status];
  const where = facts.projectName ? ` in ${facts.projectName}` : "";
  const lines = [`${facts.jobLabel} ${outcome}${where}.`, "", ...factLines(facts), ""];
  if (facts.projectSlug) lines.push(`View the run: ${runUrl(baseUrl, facts.projectSlug, facts.runId)}`, "");
  lines.push('You get this email because you ticked "Notify me when done" when you started the run.');
  return { subject: `[Runboard] ${facts.jobLabel} ${outcome}`, bodyText: `${lines.join("\n")}\n` };
}

/** The operators' alert for a system job run (SYSTEM_JOBS_ALERT_EMAIL); system runs have no page. */
export function systemAlertEmail(facts: RunFacts, jobType: string): EmailContent {
  const outcome = OUTCOME[facts.status];
  const lines = [
    `System job ${facts.jobLabel} (${jobType}) ${outcome}.`,
    "",
    `Run: ${facts.runId}`,
    ...factLines(facts),
    "",
    `Details, steps and the unredacted error: npm run system -- show ${facts.runId}`,
    "",
    "You get this email because SYSTEM_JOBS_ALERT_EMAIL names this address.",
  ];
  return { subject: `[Runboard] System job ${facts.jobLabel} ${outcome}`, bodyText: `${lines.join("\n")}\n` };
}
