import type { TeamRole } from "@/lib/db/schema";
import type { EmailContent } from "./messages";

export type InviteFacts = { teamName: string; inviterName: string | null; role: TeamRole; expiresAt: Date };

export function inviteUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/invite/${encodeURIComponent(token)}`;
}

/** The invitation to join a team; the link carries the only copy of the token. */
export function inviteEmail(facts: InviteFacts, baseUrl: string, token: string): EmailContent {
  const who = facts.inviterName ?? "A team admin";
  const lines = [
    `${who} invited you to join ${facts.teamName} on Runboard as ${facts.role === "admin" ? "an admin" : `a ${facts.role}`}.`,
    "",
    `Accept the invitation: ${inviteUrl(baseUrl, token)}`,
    "",
    `The link works once and expires on ${facts.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC.`,
    "If you did not expect this email, ignore it: nothing happens unless you open the link.",
  ];
  return { subject: `[Runboard] Join ${facts.teamName}`, bodyText: `${lines.join("\n")}\n` };
}

/**
 * The email as it is kept once sent: the link's token removed. Until then the outbox holds the only
 * copy of the token (without SMTP_URL the outbox is where the link is read); after, the recipient's
 * mailbox does, and the database keeps only the token's hash.
 */
export function withoutInviteToken(bodyText: string): string {
  return bodyText.replace(/\/invite\/[^\s]+/g, "/invite/(link removed once sent)");
}
