import type { EmailContent } from "./messages";

export function resetUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/reset-password/${encodeURIComponent(token)}`;
}

/** The reset email; the link carries the only copy of the token. */
export function passwordResetEmail(baseUrl: string, token: string, expiresAt: Date): EmailContent {
  const lines = [
    "Someone asked to reset the password of your Runboard account.",
    "",
    `Choose a new password: ${resetUrl(baseUrl, token)}`,
    "",
    `The link works once and expires at ${expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC. Using it signs out every session of the account.`,
    "If you did not ask for this, ignore this email: your password stays as it is.",
  ];
  return { subject: "[Runboard] Reset your password", bodyText: `${lines.join("\n")}\n` };
}

/** The email as kept once sent: the token removed, as for invites (the database keeps only its hash). */
export function withoutResetToken(bodyText: string): string {
  return bodyText.replace(/\/reset-password\/[^\s]+/g, "/reset-password/(link removed once sent)");
}
