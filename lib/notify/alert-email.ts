import { redactText } from "@/lib/jobs/redact";
import { factLines, runUrl, type EmailContent, type RunFacts } from "./messages";

/** What an alert email says about the rule that sent it. */
export type AlertRuleFacts = { name: string; teamName: string; teamSlug: string; throttleSeconds: number; recipients: "admins" | "members" };

/** One held-back run, as the digest lists it. */
export type DigestExample = { runId: string; projectName: string; projectSlug: string; status: string; completedAt: Date | null; errorMessage: string | null };

export type DigestFacts = {
  jobLabel: string;
  count: number;
  deadLettered: number;
  firstAt: Date;
  lastAt: Date;
  examples: DigestExample[];
};

const OUTCOME = { failed: "failed", dead_letter: "was dead-lettered" } as const;
/** A digest lists a few runs with a line of their error each, not the whole message. */
const EXAMPLE_ERROR_CHARS = 300;

const utc = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 16)} UTC`;
const base = (baseUrl: string) => baseUrl.replace(/\/+$/, "");

export function throttleText(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (seconds < 60) return `${seconds} seconds`;
  return minutes === 1 ? "minute" : `${minutes} minutes`;
}

function footer(rule: AlertRuleFacts, baseUrl: string): string[] {
  const who = rule.recipients === "admins" ? "the team's owners and admins" : "you";
  return [
    `You get this email because the alert rule "${rule.name}" of ${rule.teamName} emails ${who}.`,
    `Manage alert rules: ${base(baseUrl)}/teams/${encodeURIComponent(rule.teamSlug)}/settings/alerts`,
  ];
}

/** The first failure of a window: the run, its redacted error and a link to it. */
export function runAlertEmail(facts: RunFacts, rule: AlertRuleFacts, windowEndsAt: Date, baseUrl: string): EmailContent {
  const outcome = OUTCOME[facts.status as keyof typeof OUTCOME] ?? facts.status;
  const where = facts.projectName ? ` in ${facts.projectName}` : "";
  const lines = [`${facts.jobLabel} ${outcome}${where}.`, "", ...factLines(facts), ""];
  if (facts.projectSlug) lines.push(`View the run: ${runUrl(baseUrl, facts.projectSlug, facts.runId)}`, "");
  lines.push(
    `This rule emails at most once per job type every ${throttleText(rule.throttleSeconds)}: further failures of ${facts.jobLabel} until ${utc(windowEndsAt)} come in one summary then.`,
    "",
    ...footer(rule, baseUrl),
  );
  return { subject: `[Runboard] Alert: ${facts.jobLabel} ${outcome}${where}`, bodyText: `${lines.join("\n")}\n` };
}

/** What a window held back, in one email: how many, when, and the first few runs. */
export function alertDigestEmail(digest: DigestFacts, rule: AlertRuleFacts, baseUrl: string): EmailContent {
  const times = digest.count === 1 ? "once more" : `${digest.count} more times`;
  const dead = digest.deadLettered > 0 ? ` (${digest.deadLettered} dead-lettered)` : "";
  const lines = [
    `${digest.jobLabel} failed ${times}${dead} between ${utc(digest.firstAt)} and ${utc(digest.lastAt)}, after the alert that opened this ${throttleText(rule.throttleSeconds)} window.`,
    "",
  ];
  if (digest.examples.length > 0) {
    lines.push(digest.examples.length < digest.count ? `The first ${digest.examples.length}:` : "The runs:");
    for (const e of digest.examples) {
      const when = e.completedAt ? `, ${utc(e.completedAt)}` : "";
      lines.push(`- ${e.projectName}: ${OUTCOME[e.status as keyof typeof OUTCOME] ?? e.status}${when}`);
      if (e.errorMessage) {
        const error = redactText(e.errorMessage).replace(/\s+/g, " ");
        lines.push(`  Error: ${error.length > EXAMPLE_ERROR_CHARS ? `${error.slice(0, EXAMPLE_ERROR_CHARS)}…` : error}`);
      }
      lines.push(`  ${runUrl(baseUrl, e.projectSlug, e.runId)}`);
    }
    lines.push("");
  }
  lines.push(...footer(rule, baseUrl));
  return { subject: `[Runboard] Alert digest: ${digest.jobLabel} failed ${times}`, bodyText: `${lines.join("\n")}\n` };
}
