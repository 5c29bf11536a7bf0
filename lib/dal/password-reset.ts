import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { hashPassword, newPassword } from "@/lib/auth/password";
import { databaseUrl, getDatabase } from "@/lib/db/client";
import { notifications, passwordResetTokens, users } from "@/lib/db/schema";
import { getSendOnlyBoss } from "@/lib/jobs/boss";
import { DEFAULT_RUNBOARD_URL } from "@/lib/notify/messages";
import { enqueueDelivery } from "@/lib/notify/outbox";
import { passwordResetEmail } from "@/lib/notify/password-reset-email";
import { revokeUserSessions } from "./sessions";

/**
 * Password reset by email, needing no session: the token in the link is the credential. A request
 * answers the same whether or not the address has an account, so it cannot be used to find
 * accounts. These are the two entry points a throttle wraps (request and submit).
 */
export const RESET_TTL_MINUTES = 30;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;
/** Both answers (account or not) take at least this long, so timing does not tell them apart. */
const REQUEST_FLOOR_MS = 400;

export const hashResetToken = (token: string): string => createHash("sha256").update(token).digest("hex");

export const resetRequestInput = z.object({ email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(320)) });
export const resetSubmitInput = z
  .object({ token: z.string().min(1).max(200), newPassword, confirmPassword: z.string().max(200) })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two passwords differ." });

/**
 * Email a reset link to the address when it belongs to an enabled account; otherwise do nothing.
 * The link's base is RUNBOARD_URL, never the request's Host header (which a requester controls).
 */
export async function requestPasswordReset(email: string): Promise<void> {
  const started = Date.now();
  try {
    const address = resetRequestInput.parse({ email }).email;
    const { db } = getDatabase();
    const [user] = await db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(and(eq(sql`lower(${users.email})`, address), isNull(users.disabledAt)));
    if (!user) return;
    const token = randomBytes(32).toString("base64url");
    const expiresAt = new Date(Date.now() + RESET_TTL_MINUTES * 60_000);
    const boss = await getSendOnlyBoss(databaseUrl());
    await db.transaction(async (tx) => {
      // Only the newest link works: an older one still in a mailbox is dead (used ones go too).
      await tx.delete(passwordResetTokens).where(eq(passwordResetTokens.userId, user.id));
      await tx.insert(passwordResetTokens).values({ userId: user.id, tokenHash: hashResetToken(token), expiresAt });
      const content = passwordResetEmail(process.env.RUNBOARD_URL || DEFAULT_RUNBOARD_URL, token, expiresAt);
      const [notification] = await tx.insert(notifications).values({ kind: "password_reset", toEmail: user.email, ...content }).returning({ id: notifications.id });
      if (!notification) throw new Error("could not queue the reset email");
      await enqueueDelivery(tx, boss, notification.id);
    });
  } finally {
    const wait = REQUEST_FLOOR_MS - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export type ResetState = "open" | "expired" | "used" | "unknown";

function stateOf(row: { usedAt: Date | null; expiresAt: Date } | undefined): ResetState {
  if (!row) return "unknown";
  if (row.usedAt) return "used";
  return row.expiresAt.getTime() <= Date.now() ? "expired" : "open";
}

/** What the reset page shows for a link: open (with the address it is for) or why it is dead. */
export async function getResetLanding(token: string): Promise<{ state: ResetState; email: string | null }> {
  if (!TOKEN_SHAPE.test(token)) return { state: "unknown", email: null };
  const [row] = await getDatabase()
    .db.select({ usedAt: passwordResetTokens.usedAt, expiresAt: passwordResetTokens.expiresAt, email: users.email, disabledAt: users.disabledAt })
    .from(passwordResetTokens)
    .innerJoin(users, eq(users.id, passwordResetTokens.userId))
    .where(eq(passwordResetTokens.tokenHash, hashResetToken(token)));
  if (!row || row.disabledAt) return { state: "unknown", email: null };
  const state = stateOf(row);
  return { state, email: state === "open" ? row.email : null };
}

export const RESET_REFUSALS: Record<Exclude<ResetState, "open">, string> = {
  expired: "This reset link has expired. Ask for a new one from the sign-in page.",
  used: "This reset link has been used already. Ask for a new one if you still need it.",
  unknown: "This reset link is not valid. Check that you copied all of it, or ask for a new one.",
};

export type ResetOutcome = { ok: true; email: string } | { ok: false; state: Exclude<ResetState, "open">; message: string };

/**
 * Set a new password with a reset link: single use (the row is locked and marked used in the same
 * transaction), and every session of the account ends, wherever it was.
 */
export async function resetPassword(token: string, password: string): Promise<ResetOutcome> {
  const passwordHash = await hashPassword(newPassword.parse(password));
  const refuse = (state: Exclude<ResetState, "open">): ResetOutcome => ({ ok: false, state, message: RESET_REFUSALS[state] });
  if (!TOKEN_SHAPE.test(token)) return refuse("unknown");
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: passwordResetTokens.id, userId: passwordResetTokens.userId, usedAt: passwordResetTokens.usedAt, expiresAt: passwordResetTokens.expiresAt })
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.tokenHash, hashResetToken(token)))
      .for("update");
    const state = stateOf(row);
    if (!row || state !== "open") return refuse(state === "open" ? "unknown" : state);
    const [user] = await tx
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.id, row.userId), isNull(users.disabledAt)))
      .returning({ id: users.id, email: users.email });
    if (!user) return refuse("unknown");
    await tx.update(passwordResetTokens).set({ usedAt: sql`now()` }).where(eq(passwordResetTokens.id, row.id));
    const signedOut = await revokeUserSessions(tx, user.id);
    await recordAudit(tx, { action: "user.password_reset", actor: { userId: user.id, apiKeyId: null }, teamId: null, subjectUserId: user.id, details: { sessionsEnded: signedOut } });
    return { ok: true, email: user.email };
  });
}
