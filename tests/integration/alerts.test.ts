import { randomBytes, randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alertRules, alertWindows, notifications, projects, teamMembers, users, type AlertStatus } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import type { HandlerMap } from "@/workers/runner";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { createTenant, openTestEnv, runWorker, type Tenant, trigger, waitForRun } from "../support/fixtures";
import { mailsTo, startSmtp, type Smtp } from "../support/smtp";

/**
 * Team alert rules end to end through the real worker, Postgres and an SMTP server: the settle
 * path's throttle, the sweep's digest at the window's end, and who gets what. Timing tests use
 * windows of seconds (the engine counts seconds; people pick minutes) and wait for them for real;
 * the 200-failure burst uses a long window and then ends it in the database, so a slow machine
 * cannot split the burst across two windows.
 */

const RUNBOARD_URL = "https://runboard.example.test";
const SECRET = "sk_live_abcdefghijklmnopqrstuvwx";
const saved = { SMTP_URL: process.env.SMTP_URL, RUNBOARD_URL: process.env.RUNBOARD_URL };

/** contacts_import fails at once (not retryable), with a secret in its message. */
const handlers: HandlerMap = {
  contacts_import: async () => {
    throw new JobError(`Import refused: token ${SECRET} rejected by the CRM`, { type: "validation_error", subType: "crm_refused", retryable: false });
  },
  partition_creation: async () => ({ ok: true }),
  db_pruning: async () => ({ ok: true }),
  soft_delete_cleanup: async () => ({ ok: true }),
};

let t: TestDatabase;
let boss: PgBoss;
let smtp: Smtp;
let worker: RunningWorker;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  smtp = await startSmtp();
  process.env.SMTP_URL = smtp.url;
  process.env.RUNBOARD_URL = RUNBOARD_URL;
  worker = await runWorker(t.url, { handlers, batchSize: 20, concurrency: 8, sweepIntervalSeconds: 0.3 });
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await worker.stop();
  await boss.stop({ graceful: false, close: true });
  await smtp.close();
  await t.drop();
});

async function addUser(tenant: Tenant, role: "owner" | "admin" | "member", grants: string[] = []): Promise<{ id: string; email: string }> {
  const tag = randomBytes(4).toString("hex");
  const [user] = await t.db.insert(users).values({ email: `${role}-${tag}@example.test`, name: `${role} ${tag}`, passwordHash: "x" }).returning();
  await t.db.insert(teamMembers).values({ teamId: tenant.teamId, userId: user!.id, role, grants });
  return { id: user!.id, email: user!.email };
}

async function emailOf(userId: string): Promise<string> {
  const [user] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return user!.email;
}

type RuleOptions = { throttleSeconds: number; statuses?: AlertStatus[]; recipients?: "admins" | "members"; recipientIds?: string[]; projectId?: string | null; enabled?: boolean };

async function addRule(tenant: Tenant, options: RuleOptions): Promise<string> {
  const [rule] = await t.db
    .insert(alertRules)
    .values({
      teamId: tenant.teamId,
      name: `Imports ${randomBytes(2).toString("hex")}`,
      jobTypes: ["contacts_import"],
      statuses: options.statuses ?? ["failed", "dead_letter"],
      recipients: options.recipients ?? "admins",
      recipientIds: options.recipientIds ?? [],
      projectId: options.projectId ?? null,
      throttleSeconds: options.throttleSeconds,
      enabled: options.enabled ?? true,
    })
    .returning({ id: alertRules.id });
  return rule!.id;
}

/** Trigger `n` failing imports (each its own file, so overlap lets them all run) and wait for every one to fail. */
async function failImports(tenant: Tenant, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const result = await trigger(t.db, boss, tenant, "contacts_import", { fileId: randomUUID() });
    if (!result.ok) throw new Error("trigger refused");
    ids.push(result.runId);
  }
  for (const id of ids) await waitForRun(t.db, id, (r) => r.status === "failed", 60_000);
  return ids;
}

const emailsOf = (ruleId: string) => t.db.select().from(notifications).where(eq(notifications.alertRuleId, ruleId)).orderBy(asc(notifications.createdAt), asc(notifications.toEmail));
const windowOf = async (ruleId: string) => (await t.db.select().from(alertWindows).where(eq(alertWindows.ruleId, ruleId)))[0];

/** Wait until the rule's outbox holds `n` emails and every one of them was delivered. */
async function deliveredEmails(ruleId: string, n: number, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  let rows = await emailsOf(ruleId);
  while (Date.now() < until && !(rows.length >= n && rows.every((r) => r.status === "sent"))) {
    await new Promise((r) => setTimeout(r, 100));
    rows = await emailsOf(ruleId);
  }
  expect(rows.map((r) => r.status)).toEqual(Array(n).fill("sent"));
  return rows;
}

describe("a rule on failed imports", () => {
  test("a burst of 200 failures sends one alert and, when the window ends, one digest, to the team's current admins only", async () => {
    const tenant = await createTenant(t.db);
    const admin = await emailOf(tenant.userId);
    const owner = await addUser(tenant, "owner");
    const reader = await addUser(tenant, "member", ["jobs:read"]);
    const leaver = await addUser(tenant, "admin");
    const disabled = await addUser(tenant, "admin");
    await t.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, disabled.id));
    const ruleId = await addRule(tenant, { throttleSeconds: 3600 });

    const [first] = await failImports(tenant, 1);
    const alerts = await deliveredEmails(ruleId, 3);
    // Admins and owners, not a reader member (the rule names admins) and not a disabled account.
    expect(alerts.map((n) => n.toEmail).sort()).toEqual([admin, leaver.email, owner.email].sort());
    for (const n of alerts) expect(n).toMatchObject({ kind: "alert", runId: first });
    const [mail] = mailsTo(smtp, admin);
    expect(mail!.subject).toMatch(/^\[Runboard\] Alert: Import contacts failed in Project /);
    expect(mail!.text).toContain(`View the run: ${RUNBOARD_URL}/projects/`);
    expect(mail!.text).toContain(`/runs/${first}`);
    // What leaves Runboard is the tenant view: the secret in the error is masked.
    expect(mail!.text).toContain("Error: Import refused: token");
    expect(mail!.text).not.toContain(SECRET);
    expect(mail!.text).toContain(`${RUNBOARD_URL}/teams/`);
    expect(mailsTo(smtp, reader.email)).toHaveLength(0);
    expect(mailsTo(smtp, disabled.email)).toHaveLength(0);

    // Someone leaves the team mid-window: the digest is addressed when it is written.
    await t.db.delete(teamMembers).where(and(eq(teamMembers.teamId, tenant.teamId), eq(teamMembers.userId, leaver.id)));

    const burst = await failImports(tenant, 200);
    const held = await windowOf(ruleId);
    expect(held).toMatchObject({ suppressed: 200, suppressedDeadLetter: 0 });
    expect(held!.sampleRunIds).toHaveLength(5);
    expect(burst).toEqual(expect.arrayContaining(held!.sampleRunIds));
    // Nothing more was written during the window: 200 failures, no new email.
    expect(await emailsOf(ruleId)).toHaveLength(3);

    // The hour is up (the members test below waits for a real window's end).
    await t.db.update(alertWindows).set({ windowEndsAt: new Date() }).where(eq(alertWindows.ruleId, ruleId));
    const all = await deliveredEmails(ruleId, 5, 20_000);
    const digests = all.filter((n) => n.kind === "alert_digest");
    expect(digests.map((n) => n.toEmail).sort()).toEqual([admin, owner.email].sort());
    const digest = mailsTo(smtp, owner.email).find((m) => m.subject.includes("digest"))!;
    expect(digest.subject).toBe("[Runboard] Alert digest: Import contacts failed 200 more times");
    expect(digest.text).toContain("The first 5:");
    expect(digest.text.match(/\/runs\/[0-9a-f-]{36}/g)).toHaveLength(5);
    expect(digest.text).not.toContain(SECRET);
    expect(mailsTo(smtp, leaver.email)).toHaveLength(1);

    // The digest opened the next window: a failure now is held for the next digest, not emailed.
    const reopened = await windowOf(ruleId);
    expect(reopened).toMatchObject({ suppressed: 0 });
    expect(reopened!.windowEndsAt.getTime()).toBeGreaterThan(Date.now() + 3000 * 1000);
    await failImports(tenant, 1);
    expect(await windowOf(ruleId)).toMatchObject({ suppressed: 1 });
    expect(await emailsOf(ruleId)).toHaveLength(5);
  }, 120_000);

  test("a window that held nothing back lapses without a digest, and the next failure is emailed at once", async () => {
    const tenant = await createTenant(t.db);
    const ruleId = await addRule(tenant, { throttleSeconds: 1 });
    await failImports(tenant, 1);
    await deliveredEmails(ruleId, 1);
    const window = await windowOf(ruleId);
    await new Promise((r) => setTimeout(r, Math.max(0, window!.windowEndsAt.getTime() - Date.now()) + 1000));
    expect(await emailsOf(ruleId)).toHaveLength(1);
    await failImports(tenant, 1);
    const rows = await deliveredEmails(ruleId, 2);
    expect(rows.map((r) => r.kind)).toEqual(["alert", "alert"]);
  }, 60_000);

  test("a members rule emails only the named members still in the team who can read runs", async () => {
    const tenant = await createTenant(t.db);
    const reader = await addUser(tenant, "member", ["jobs:read"]);
    const blind = await addUser(tenant, "member");
    const leaver = await addUser(tenant, "member", ["jobs:read"]);
    const ruleId = await addRule(tenant, { throttleSeconds: 20, recipients: "members", recipientIds: [reader.id, blind.id, leaver.id] });
    await failImports(tenant, 1);
    const first = await deliveredEmails(ruleId, 2);
    expect(first.map((n) => n.toEmail).sort()).toEqual([leaver.email, reader.email].sort());

    await t.db.delete(teamMembers).where(and(eq(teamMembers.teamId, tenant.teamId), eq(teamMembers.userId, leaver.id)));
    await failImports(tenant, 2);
    const window = await windowOf(ruleId);
    expect(window).toMatchObject({ suppressed: 2 });
    const all = await deliveredEmails(ruleId, 3, 40_000);
    expect(all[2]).toMatchObject({ kind: "alert_digest", toEmail: reader.email });
    expect(all[2]!.subject).toBe("[Runboard] Alert digest: Import contacts failed 2 more times");
    // Written when the window ended (by a sweep of the worker's), not before.
    expect(all[2]!.createdAt.getTime()).toBeGreaterThanOrEqual(window!.windowEndsAt.getTime());
    expect(all[2]!.createdAt.getTime()).toBeLessThan(window!.windowEndsAt.getTime() + 5000);
  }, 90_000);

  test("rules never fire for another team's runs, for a status they leave out, or while disabled; a disabled rule's digest is dropped", async () => {
    const mine = await createTenant(t.db);
    const other = await createTenant(t.db);
    // A rule naming another team's project (the DAL refuses it; the engine must not care).
    const crossTeam = await addRule(mine, { throttleSeconds: 60, projectId: other.projectId });
    const deadOnly = await addRule(other, { throttleSeconds: 60, statuses: ["dead_letter"] });
    const off = await addRule(other, { throttleSeconds: 60, enabled: false });
    const onThenOff = await addRule(other, { throttleSeconds: 600 });
    await failImports(other, 3);
    await deliveredEmails(onThenOff, 1);
    for (const id of [crossTeam, deadOnly, off]) {
      expect(await emailsOf(id)).toHaveLength(0);
      expect(await windowOf(id)).toBeUndefined();
    }
    expect(await windowOf(onThenOff)).toMatchObject({ suppressed: 2 });
    await t.db.update(alertRules).set({ enabled: false }).where(eq(alertRules.id, onThenOff));
    await t.db.update(alertWindows).set({ windowEndsAt: new Date() }).where(eq(alertWindows.ruleId, onThenOff));
    // The sweep closes the window without writing a digest.
    const until = Date.now() + 15_000;
    while (Date.now() < until && (await windowOf(onThenOff))!.suppressed > 0) await new Promise((r) => setTimeout(r, 100));
    expect(await windowOf(onThenOff)).toMatchObject({ suppressed: 0 });
    expect(await emailsOf(onThenOff)).toHaveLength(1);
  }, 60_000);
});

describe("a project-scoped rule", () => {
  test("counts only its project's failures", async () => {
    const tenant = await createTenant(t.db);
    const [second] = await t.db.insert(projects).values({ teamId: tenant.teamId, slug: `second-${randomBytes(4).toString("hex")}`, name: "Second" }).returning();
    const ruleId = await addRule(tenant, { throttleSeconds: 60, projectId: second!.id });
    await failImports(tenant, 2);
    expect(await emailsOf(ruleId)).toHaveLength(0);
    await failImports({ ...tenant, projectId: second!.id }, 1);
    const [alert] = await deliveredEmails(ruleId, 1);
    expect(alert!.subject).toBe("[Runboard] Alert: Import contacts failed in Second");
  }, 60_000);
});
