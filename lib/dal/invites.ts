import "server-only";
import bcrypt from "bcryptjs";
import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "@/lib/audit";
import { permissionsFor } from "@/lib/auth/permissions";
import { getDatabase, type Tx } from "@/lib/db/client";
import { teamInvites, teamMembers, teams, users, type TeamRole } from "@/lib/db/schema";
import { verifyCredentials } from "./credentials";
import { hashInviteToken } from "./teams";
import { getCurrentUser } from "./users";

/**
 * Accepting an invite needs no session: the token in the link is the credential. Whoever holds
 * it learns the team's name, the invited address and whether it has an account, nothing more.
 */
export type InviteState = "open" | "expired" | "revoked" | "accepted" | "inviter_lost" | "unknown";

export type InviteLanding =
  | { state: "unknown" }
  | {
      state: Exclude<InviteState, "unknown">;
      teamName: string;
      email: string;
      role: TeamRole;
      hasAccount: boolean;
      /** The signed-in user, when there is one, and whether they are the invited address. */
      signedIn: { email: string; isInvitee: boolean } | null;
    };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

type InviteRow = { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date; inviterRole: TeamRole | null; inviterGrants: string[] | null };

/**
 * An invite speaks for the person who sent it: it stays good only while they still hold
 * team:manage in the team (their membership is read in the same query as the invite).
 */
function stateOf(row: InviteRow): Exclude<InviteState, "unknown"> {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt) return "revoked";
  if (row.expiresAt.getTime() <= Date.now()) return "expired";
  const inviter = row.inviterRole ? { role: row.inviterRole, grants: row.inviterGrants ?? [] } : null;
  return permissionsFor(inviter, "user").has("team:manage") ? "open" : "inviter_lost";
}

/** The inviter's membership of the invite's team (none when they left, or their account is gone or disabled). */
const inviterMembership = and(
  eq(teamMembers.teamId, teamInvites.teamId),
  eq(teamMembers.userId, teamInvites.invitedBy),
  sql`not exists (select 1 from ${users} inviter where inviter.id = ${teamInvites.invitedBy} and inviter.disabled_at is not null)`,
);

export async function getInviteLanding(token: string): Promise<InviteLanding> {
  if (!TOKEN_SHAPE.test(token)) return { state: "unknown" };
  const { db } = getDatabase();
  const [row] = await db
    .select({
      teamName: teams.name,
      email: teamInvites.email,
      role: teamInvites.role,
      acceptedAt: teamInvites.acceptedAt,
      revokedAt: teamInvites.revokedAt,
      expiresAt: teamInvites.expiresAt,
      inviterRole: teamMembers.role,
      inviterGrants: teamMembers.grants,
      accountId: users.id,
    })
    .from(teamInvites)
    .innerJoin(teams, eq(teams.id, teamInvites.teamId))
    .leftJoin(teamMembers, inviterMembership)
    .leftJoin(users, eq(sql`lower(${users.email})`, sql`lower(${teamInvites.email})`))
    .where(eq(teamInvites.tokenHash, hashInviteToken(token)));
  if (!row) return { state: "unknown" };
  const me = await getCurrentUser();
  return {
    state: stateOf(row),
    teamName: row.teamName,
    email: row.email,
    role: row.role,
    hasAccount: row.accountId !== null,
    signedIn: me ? { email: me.email, isInvitee: me.email.toLowerCase() === row.email.toLowerCase() } : null,
  };
}

export type AcceptOutcome = { ok: true; email: string } | { ok: false; code: "gone" | "bad_password" | "has_account" | "wrong_user"; message: string };

const gone = (state: InviteState): AcceptOutcome => ({
  ok: false,
  code: "gone",
  message:
    state === "expired"
      ? "This invite has expired. Ask a team admin to send a new one."
      : state === "revoked"
        ? "This invite was withdrawn. Ask a team admin if you still need access."
        : state === "accepted"
          ? "This invite has already been used. Sign in to open your team."
          : state === "inviter_lost"
            ? "This invite no longer works: the person who sent it can no longer manage the team. Ask a current team admin to invite you again."
            : "This invite link is not valid. Check that you copied all of it.",
});

/** Lock the invite and check it is still open; the join then happens in the same transaction. */
async function lockOpenInvite(tx: Tx, token: string) {
  if (!TOKEN_SHAPE.test(token)) return { invite: null, state: "unknown" as const };
  const [row] = await tx
    .select({ invite: teamInvites, inviterRole: teamMembers.role, inviterGrants: teamMembers.grants })
    .from(teamInvites)
    .innerJoin(teams, eq(teams.id, teamInvites.teamId))
    .leftJoin(teamMembers, inviterMembership)
    .where(eq(teamInvites.tokenHash, hashInviteToken(token)))
    // The team row too: member changes lock it, so a demotion of the inviter and this join never interleave.
    .for("update", { of: [teamInvites, teams] });
  if (!row) return { invite: null, state: "unknown" as const };
  const state = stateOf({ ...row.invite, inviterRole: row.inviterRole, inviterGrants: row.inviterGrants });
  return { invite: state === "open" ? row.invite : null, state };
}

async function join(tx: Tx, invite: typeof teamInvites.$inferSelect, userId: string, newAccount: boolean): Promise<void> {
  // Someone who is already a member keeps their role: an invite never demotes.
  const added = await tx
    .insert(teamMembers)
    .values({ teamId: invite.teamId, userId, role: invite.role, grants: invite.grants })
    .onConflictDoNothing()
    .returning({ userId: teamMembers.userId });
  await tx.update(teamInvites).set({ acceptedAt: sql`now()` }).where(eq(teamInvites.id, invite.id));
  await recordAudit(tx, {
    action: "member.joined",
    actor: { userId, apiKeyId: null },
    teamId: invite.teamId,
    subjectUserId: userId,
    details: { email: invite.email, role: invite.role, grants: invite.grants, inviteId: invite.id, newAccount, alreadyMember: added.length === 0 },
  });
}

/** A new person: create the account (bcrypt, as sign-in checks it) and join, in one transaction. */
export async function acceptInviteWithNewAccount(token: string, name: string, password: string): Promise<AcceptOutcome> {
  const passwordHash = await bcrypt.hash(password, 10);
  return getDatabase().db.transaction(async (tx) => {
    const { invite, state } = await lockOpenInvite(tx, token);
    if (!invite) return gone(state);
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(sql`lower(${users.email})`, invite.email.toLowerCase()));
    if (existing) return { ok: false, code: "has_account", message: "An account with this email exists already: sign in with its password to accept." };
    const [user] = await tx.insert(users).values({ email: invite.email, name, passwordHash }).returning({ id: users.id });
    if (!user) throw new Error("could not create the account");
    await join(tx, invite, user.id, true);
    return { ok: true, email: invite.email };
  });
}

/** An existing account: its password proves it is theirs (one bcrypt check either way). */
export async function acceptInviteWithPassword(token: string, password: string): Promise<AcceptOutcome> {
  const { db } = getDatabase();
  const [peek] = TOKEN_SHAPE.test(token) ? await db.select({ email: teamInvites.email }).from(teamInvites).where(eq(teamInvites.tokenHash, hashInviteToken(token))) : [];
  if (!peek) return gone("unknown");
  const user = await verifyCredentials(peek.email, password);
  if (!user) return { ok: false, code: "bad_password", message: "That password does not match the account for this email." };
  return acceptAs(token, user.id, user.email);
}

/** Already signed in as the invited address: one click. */
export async function acceptInviteSignedIn(token: string): Promise<AcceptOutcome> {
  const me = await getCurrentUser();
  if (!me) return { ok: false, code: "wrong_user", message: "Sign in first." };
  return acceptAs(token, me.id, me.email);
}

async function acceptAs(token: string, userId: string, email: string): Promise<AcceptOutcome> {
  return getDatabase().db.transaction(async (tx) => {
    const { invite, state } = await lockOpenInvite(tx, token);
    if (!invite) return gone(state);
    if (invite.email.toLowerCase() !== email.toLowerCase()) return { ok: false, code: "wrong_user", message: `This invite is for ${invite.email}. Sign out and open the link again.` };
    await join(tx, invite, userId, false);
    return { ok: true, email: invite.email };
  });
}
