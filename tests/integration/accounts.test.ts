import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import bcrypt from "bcryptjs";
import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { apiKeys, auditEvents, jobRuns, notifications, passwordResetTokens, projects, teamMembers, teams, users, userSessions } from "@/lib/db/schema";
import { countOwners } from "@/cli/admin";
import { DEMO_ACCOUNTS, knownPasswordAccounts, seedDemo } from "@/scripts/lib/seed";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { openTestEnv } from "../support/fixtures";

/**
 * Accounts and sessions through the real DAL and a real database. Only Auth.js's cookie decoding
 * is stood in for: `cookie` is what the next calls' session cookie claims (user and session id),
 * and every check of it against user_sessions and users runs as in production.
 */
const cookie = vi.hoisted(() => ({ userId: null as string | null, sessionId: null as string | null }));
vi.mock("server-only", () => ({}));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (cookie.userId ? { user: { id: cookie.userId }, sessionId: cookie.sessionId ?? undefined } : null),
  signIn: async () => undefined,
}));

const { getCurrentUser } = await import("@/lib/dal/users");
const { pollRun } = await import("@/lib/dal/run-poll");
const { startSession, revokeSession, sessionClientOf } = await import("@/lib/dal/sessions");
const { PEER_HEADER } = await import("@/lib/security/client-address");
const { checkSignIn, verifyCredentials } = await import("@/lib/dal/credentials");
const account = await import("@/lib/dal/account");
const reset = await import("@/lib/dal/password-reset");
const { listInstanceUsers, setUserDisabled } = await import("@/lib/dal/instance-users");
const { authenticateApiKey, hashApiKey } = await import("@/lib/dal/api-keys");
const { getDatabase } = await import("@/lib/db/client");
const { getSendOnlyBoss } = await import("@/lib/jobs/boss");
const { withoutResetToken } = await import("@/lib/notify/password-reset-email");

const RUNBOARD_URL = "https://runboard.example.test";
const saved = { DATABASE_URL: process.env.DATABASE_URL, RUNBOARD_URL: process.env.RUNBOARD_URL };
let t: TestDatabase;
let stopBoss: () => Promise<void>;
let teamId: string;
let projectSlug: string;

type User = { id: string; email: string; password: string };

async function makeUser(instanceRole: "user" | "support" | "owner" = "user"): Promise<User> {
  const tag = randomBytes(4).toString("hex");
  const password = `pw-${tag}-long-enough`;
  const [user] = await t.db.insert(users).values({ email: `u-${tag}@example.test`, name: `User ${tag}`, passwordHash: await bcrypt.hash(password, 4), instanceRole }).returning();
  await t.db.insert(teamMembers).values({ teamId, userId: user!.id, role: "admin" });
  return { id: user!.id, email: user!.email, password };
}

/** Sign in as Auth.js does: a new session row, whose id the cookie then carries. */
async function signIn(user: User, userAgent = "vitest"): Promise<string> {
  const sessionId = await startSession(user.id, { userAgent, ip: "203.0.113.7" });
  cookie.userId = user.id;
  cookie.sessionId = sessionId;
  return sessionId;
}
const claimCookie = (userId: string | null, sessionId: string | null) => Object.assign(cookie, { userId, sessionId });

beforeAll(async () => {
  const env = await openTestEnv();
  t = env.t;
  stopBoss = () => env.boss.stop({ graceful: false, close: true });
  process.env.DATABASE_URL = t.url;
  process.env.RUNBOARD_URL = RUNBOARD_URL;
  const tag = randomBytes(4).toString("hex");
  const [team] = await t.db.insert(teams).values({ slug: `team-${tag}`, name: `Team ${tag}` }).returning();
  teamId = team!.id;
  projectSlug = `project-${tag}`;
  await t.db.insert(projects).values({ teamId, slug: projectSlug, name: "Project" });
});
afterAll(async () => {
  await (await getSendOnlyBoss(t.url)).stop({ graceful: false, close: true });
  await getDatabase().close();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await stopBoss();
  await t.drop();
});

describe("server-side sessions", () => {
  test("a session records the address the throttles trust, not a forged X-Forwarded-For", () => {
    const client = sessionClientOf(new Headers({ [PEER_HEADER]: "203.0.113.7", "x-forwarded-for": "6.6.6.6", "x-real-ip": "7.7.7.7", "user-agent": "ua" }));
    expect(client).toEqual({ userAgent: "ua", ip: "203.0.113.7" });
    expect(sessionClientOf(new Headers({ "x-forwarded-for": "6.6.6.6" })).ip).toBeNull();
  });

  test("a session counts only while its row is live: sign-out, expiry, another user's id and a missing id all read as signed out", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const sid = await signIn(alice);
    expect((await getCurrentUser())?.id).toBe(alice.id);

    // A cookie naming Bob with Alice's session, or with no session id (a pre-upgrade JWT), is nobody.
    claimCookie(bob.id, sid);
    expect(await getCurrentUser()).toBeNull();
    claimCookie(alice.id, null);
    expect(await getCurrentUser()).toBeNull();
    claimCookie(alice.id, "not-a-uuid");
    expect(await getCurrentUser()).toBeNull();

    // Sign-out revokes the row: a copy of the cookie is dead, also for the one-query run poll.
    claimCookie(alice.id, sid);
    await revokeSession(sid);
    expect(await getCurrentUser()).toBeNull();
    await expect(pollRun(projectSlug, randomUUID(), null)).rejects.toMatchObject({ code: "unauthenticated" });

    const expired = await signIn(alice);
    await t.db.update(userSessions).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(userSessions.id, expired));
    expect(await getCurrentUser()).toBeNull();
  });

  test("use marks last_seen_at at most once a minute and slides the expiry", async () => {
    const user = await makeUser();
    const sid = await signIn(user);
    await t.db.update(userSessions).set({ lastSeenAt: sql`now() - interval '5 minutes'`, expiresAt: sql`now() + interval '1 hour'` }).where(eq(userSessions.id, sid));
    expect((await getCurrentUser())?.id).toBe(user.id);
    const [row] = await t.db.select().from(userSessions).where(eq(userSessions.id, sid));
    expect(Date.now() - row!.lastSeenAt.getTime()).toBeLessThan(30_000);
    expect(row!.expiresAt.getTime() - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(await pollRun(projectSlug, randomUUID(), null)).toBeNull();
  });
});

describe("account page", () => {
  test("name change acts on the caller only and is validated", async () => {
    const me = await makeUser();
    await signIn(me);
    await account.updateMyName("  Ada Lovelace ");
    expect((await getCurrentUser())?.name).toBe("Ada Lovelace");
    await expect(account.updateMyName("")).rejects.toThrow();
    claimCookie(null, null);
    await expect(account.updateMyName("Nobody")).rejects.toMatchObject({ code: "unauthenticated" });
  });

  test("a password change needs the current password and ends every other session, not this one", async () => {
    const me = await makeUser();
    const laptop = await signIn(me, "laptop");
    const stolen = await signIn(me, "thief");
    const current = await signIn(me, "desk");
    expect((await account.getAccount()).sessions.filter((s) => s.current).map((s) => s.id)).toEqual([current]);

    const wrong = await account.changeMyPassword("not-my-password", "a-brand-new-password");
    expect(wrong).toMatchObject({ ok: false, code: "bad_password" });
    expect(await verifyCredentials(me.email, me.password)).not.toBeNull();
    await expect(account.changeMyPassword(me.password, "short")).rejects.toThrow();

    expect(await account.changeMyPassword(me.password, "a-brand-new-password")).toEqual({ ok: true, signedOut: 2 });
    expect(await verifyCredentials(me.email, me.password)).toBeNull();
    expect(await verifyCredentials(me.email, "a-brand-new-password")).not.toBeNull();
    expect((await getCurrentUser())?.id).toBe(me.id);
    for (const sid of [laptop, stolen]) {
      claimCookie(me.id, sid);
      expect(await getCurrentUser()).toBeNull();
    }
    claimCookie(me.id, current);
    const audit = await t.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, me.id), eq(auditEvents.action, "user.password_changed")));
    expect(audit).toHaveLength(1);
  });

  test("the session list is mine only; sign out every other session keeps this one", async () => {
    const me = await makeUser();
    const other = await makeUser();
    await signIn(other, "someone else");
    const old = await signIn(me, "old phone");
    const current = await signIn(me, "this browser");
    const view = await account.getAccount();
    expect(view.sessions.map((s) => s.id).sort()).toEqual([old, current].sort());
    expect(view.sessions.find((s) => s.current)?.id).toBe(current);
    expect(view.sessions.find((s) => s.id === old)).toMatchObject({ userAgent: "old phone", ip: "203.0.113.7" });

    expect(await account.signOutMyOtherSessions()).toBe(1);
    expect((await account.getAccount()).sessions.map((s) => s.id)).toEqual([current]);
    claimCookie(me.id, old);
    expect(await getCurrentUser()).toBeNull();
  });
});

describe("password reset", () => {
  async function latestResetMail(email: string) {
    const [mail] = await t.db.select().from(notifications).where(and(eq(notifications.kind, "password_reset"), eq(notifications.toEmail, email))).orderBy(sql`${notifications.createdAt} desc`).limit(1);
    return mail;
  }
  const tokenOf = (body: string) => /\/reset-password\/([A-Za-z0-9_-]+)/.exec(body)?.[1] ?? "";

  test("an unknown address gets the same silence as a known one gets a link; only the token's hash is stored", async () => {
    claimCookie(null, null);
    const before = await t.db.select({ n: sql<number>`count(*)::int` }).from(notifications);
    await reset.requestPasswordReset("nobody-here@example.test");
    expect(await t.db.select({ n: sql<number>`count(*)::int` }).from(notifications)).toEqual(before);

    const me = await makeUser();
    await reset.requestPasswordReset(me.email.toUpperCase());
    const mail = await latestResetMail(me.email);
    expect(mail?.bodyText).toContain(`${RUNBOARD_URL}/reset-password/`);
    const token = tokenOf(mail!.bodyText);
    expect(token.length).toBeGreaterThan(30);
    const [row] = await t.db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, me.id));
    expect(row!.tokenHash).toBe(reset.hashResetToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    // The delivery run exists with the email, as for invites.
    expect(await t.db.select({ id: jobRuns.id }).from(jobRuns).where(sql`${jobRuns.jobType} = 'notification_delivery' and ${jobRuns.payload}->>'notificationId' = ${mail!.id}`)).toHaveLength(1);
    // Once sent, the stored copy loses the link.
    expect(withoutResetToken(mail!.bodyText)).not.toContain(token);
  });

  test("the link sets a new password once and ends every session; a newer request kills an older link", async () => {
    const me = await makeUser();
    const s1 = await signIn(me);
    await reset.requestPasswordReset(me.email);
    const first = tokenOf((await latestResetMail(me.email))!.bodyText);
    await reset.requestPasswordReset(me.email);
    const second = tokenOf((await latestResetMail(me.email))!.bodyText);
    expect(second).not.toBe(first);
    expect((await reset.getResetLanding(first)).state).toBe("unknown");
    expect(await reset.getResetLanding(second)).toEqual({ state: "open", email: me.email });

    expect(await reset.resetPassword(first, "another-new-password")).toMatchObject({ ok: false, state: "unknown" });
    expect(await reset.resetPassword(second, "another-new-password")).toEqual({ ok: true, email: me.email });
    expect(await verifyCredentials(me.email, "another-new-password")).not.toBeNull();
    claimCookie(me.id, s1);
    expect(await getCurrentUser()).toBeNull();
    // Single use: the same link again changes nothing.
    expect(await reset.resetPassword(second, "a-third-password-here")).toMatchObject({ ok: false, state: "used" });
    expect(await verifyCredentials(me.email, "another-new-password")).not.toBeNull();
    expect(await t.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, me.id), eq(auditEvents.action, "user.password_reset")))).toHaveLength(1);
  });

  test("an expired link is refused; a disabled account gets no link", async () => {
    const me = await makeUser();
    await reset.requestPasswordReset(me.email);
    const token = tokenOf((await latestResetMail(me.email))!.bodyText);
    await t.db.update(passwordResetTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(passwordResetTokens.userId, me.id));
    expect((await reset.getResetLanding(token)).state).toBe("expired");
    expect(await reset.resetPassword(token, "a-password-too-late")).toMatchObject({ ok: false, state: "expired" });
    expect(await verifyCredentials(me.email, me.password)).not.toBeNull();

    const off = await makeUser();
    await t.db.update(users).set({ disabledAt: sql`now()` }).where(eq(users.id, off.id));
    await reset.requestPasswordReset(off.email);
    expect(await latestResetMail(off.email)).toBeUndefined();
  });
});

describe("disabling a user", () => {
  test("only the instance owner may; a disabled user's sessions, sign-in and API keys stop at once; enabling restores keys, not sessions", async () => {
    const owner = await makeUser("owner");
    const support = await makeUser("support");
    const victim = await makeUser();
    const victimSession = await signIn(victim);
    const key = `rb_abcd1234_${randomBytes(32).toString("base64url")}`;
    await t.db.insert(apiKeys).values({ teamId, name: "victim key", prefix: "abcd1234", keyHash: hashApiKey(key), scopes: ["jobs:read"], createdBy: victim.id });
    expect(await authenticateApiKey(key)).not.toBeNull();

    // Support and a team admin cannot: the instance users do not exist for them.
    for (const who of [support, victim]) {
      await signIn(who);
      await expect(setUserDisabled(victim.id, true)).rejects.toMatchObject({ code: "not_found" });
      await expect(listInstanceUsers()).rejects.toMatchObject({ code: "not_found" });
    }
    expect((await t.db.select({ d: users.disabledAt }).from(users).where(eq(users.id, victim.id)))[0]!.d).toBeNull();

    await signIn(owner);
    expect(await setUserDisabled(owner.id, true)).toMatchObject({ ok: false, code: "self" });
    expect(await setUserDisabled(randomUUID(), true)).toMatchObject({ ok: false, code: "not_found" });
    expect(await setUserDisabled(victim.id, true)).toEqual({ ok: true, email: victim.email, sessionsEnded: 2 });
    expect(await setUserDisabled(victim.id, true)).toMatchObject({ ok: false, code: "unchanged" });
    const listed = await listInstanceUsers({ prefix: victim.email.slice(0, 8) });
    expect(listed.rows.find((u) => u.id === victim.id)?.disabledAt).not.toBeNull();
    expect(listed.rows.find((u) => u.id === victim.id)?.lastSeenAt).toEqual(expect.any(String));
    expect(listed.rows.every((u) => u.email.toLowerCase().startsWith(victim.email.slice(0, 8)))).toBe(true);

    expect(await authenticateApiKey(key)).toBeNull();
    expect(await checkSignIn(victim.email, victim.password)).toBe("disabled");
    expect(await checkSignIn(victim.email, "wrong-password")).toBeNull();
    claimCookie(victim.id, victimSession);
    expect(await getCurrentUser()).toBeNull();

    await signIn(owner);
    expect(await setUserDisabled(victim.id, false)).toEqual({ ok: true, email: victim.email, sessionsEnded: 0 });
    expect(await authenticateApiKey(key)).not.toBeNull();
    claimCookie(victim.id, victimSession);
    expect(await getCurrentUser()).toBeNull();
    const audit = await t.db.select({ action: auditEvents.action, actor: auditEvents.actorUserId }).from(auditEvents).where(eq(auditEvents.subjectUserId, victim.id)).orderBy(auditEvents.createdAt);
    expect(audit).toEqual([
      { action: "user.disabled", actor: owner.id },
      { action: "user.enabled", actor: owner.id },
    ]);
  });

  test("the users list is keyset-paged by email", async () => {
    const owner = await makeUser("owner");
    await signIn(owner);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listInstanceUsers({ cursor });
      seen.push(...page.rows.map((r) => r.email.toLowerCase()));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const all = await t.db.select({ email: users.email }).from(users);
    expect(seen).toEqual(all.map((u) => u.email.toLowerCase()).sort());
  });
});

describe("npm start on a DATABASE_URL", () => {
  test("what start decides from: no owner on an empty database, and the demo's published passwords are found", async () => {
    const fresh = await createTestDatabase();
    try {
      expect(await countOwners(fresh.db)).toBe(0);
      expect(await knownPasswordAccounts(fresh.db)).toEqual([]);
      await seedDemo(fresh.db);
      expect(await countOwners(fresh.db)).toBe(1);
      expect((await knownPasswordAccounts(fresh.db)).sort()).toEqual(DEMO_ACCOUNTS.map((a) => a.email).sort());
      await fresh.db.update(users).set({ passwordHash: await bcrypt.hash("changed-by-its-owner", 4) }).where(eq(users.email, "admin@runboard.local"));
      await fresh.db.update(users).set({ disabledAt: sql`now()` }).where(eq(users.email, "member@runboard.local"));
      expect((await knownPasswordAccounts(fresh.db)).sort()).toEqual(["owner@runboard.local", "support@runboard.local"]);
      await fresh.db.update(users).set({ disabledAt: sql`now()` }).where(eq(users.email, "owner@runboard.local"));
      expect(await countOwners(fresh.db)).toBe(0);
    } finally {
      await fresh.drop();
    }
  });
});

describe("runboard admin create", () => {
  const root = path.resolve(import.meta.dirname, "..", "..");
  function cli(args: string[], stdin: string | null): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(root, "bin", "runboard.mjs"), "admin", ...args], { stdio: ["pipe", "pipe", "pipe"], env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: t.url } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
      if (stdin !== null) child.stdin.end(stdin);
      else child.stdin.end();
    });
  }

  test("creates an instance owner with the piped password; refuses a taken address, a short password and a missing password", async () => {
    const email = `first-owner-${randomBytes(3).toString("hex")}@example.test`;
    const created = await cli(["create", "--email", email, "--name", "First Owner", "--password-stdin"], "correct-horse-battery\n");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created the instance owner ${email}`);
    const [row] = await t.db.select().from(users).where(eq(users.email, email));
    expect(row).toMatchObject({ name: "First Owner", instanceRole: "owner", disabledAt: null });
    expect(await checkSignIn(email, "correct-horse-battery")).toMatchObject({ email });

    const again = await cli(["create", "--email", email.toUpperCase(), "--password-stdin"], "another-long-password\n");
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("exists already");
    expect(await checkSignIn(email, "correct-horse-battery")).toMatchObject({ email });

    const other = `second-${randomBytes(3).toString("hex")}@example.test`;
    const short = await cli(["create", "--email", other, "--password-stdin"], "short\n");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 10 characters");
    const noTty = await cli(["create", "--email", other], null);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("--password-stdin");
    expect(await t.db.select().from(users).where(eq(users.email, other))).toEqual([]);
    expect(await t.db.select({ id: users.id }).from(users).where(and(eq(users.email, email), isNull(users.disabledAt)))).toHaveLength(1);
  }, 180_000); // each spawn boots tsx: generous for a loaded machine
});
