import { randomBytes } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { jobRuns, jobRunSteps, notifications, projects, users } from "@/lib/db/schema";
import { cancelRun } from "@/lib/jobs/web/cancel";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { triggerRun } from "@/lib/jobs/enqueue";
import { JobError } from "@/lib/jobs/errors";
import type { RetryPolicy } from "@/lib/jobs/define";
import { inviteEmail } from "@/lib/notify/invite-email";
import { enqueueDelivery } from "@/lib/notify/outbox";
import type { HandlerMap } from "@/workers/runner";
import type { RunningWorker } from "@/workers/start-worker";
import type { TestDatabase } from "../support/db";
import { mailsTo, startSmtp, type Smtp } from "../support/smtp";
import { createTenant, openTestEnv, runWorker, type Tenant, trigger, uploadFile, waitForRun } from "../support/fixtures";

/**
 * Retry waits in this file are the catalog's own backoff (policy, attempt and jitter unchanged)
 * divided by RETRY_SPEEDUP, so exhausting a delivery's three attempts takes seconds, not the real
 * 15–30 s. Every computed delay is recorded so the test can check the real policy was applied.
 */
const retries = vi.hoisted(() => ({ speedup: 10, computed: [] as { policy: RetryPolicy; attempt: number; seconds: number }[] }));
vi.mock("@/lib/jobs/retry", async (importOriginal) =>
  (await import("../support/scaled-retry")).scaleRetryDelays(await importOriginal(), retries.computed, retries.speedup),
);

const RUNBOARD_URL = "https://runboard.example.test";
const ALERT_EMAIL = "ops@example.test";
const savedEnv = { SMTP_URL: process.env.SMTP_URL, RUNBOARD_URL: process.env.RUNBOARD_URL, SYSTEM_JOBS_ALERT_EMAIL: process.env.SYSTEM_JOBS_ALERT_EMAIL, MAIL_FROM: process.env.MAIL_FROM };

/** The real handlers, but system jobs do nothing (or fail on demand) so their alerts can be tested. */
const handlers: HandlerMap = {
  partition_creation: async () => ({ ok: true }),
  db_pruning: async () => {
    throw new JobError("Pruning refused: retention misconfigured", { type: "validation_error", subType: "retention_invalid" });
  },
  soft_delete_cleanup: async () => ({ ok: true }),
};

let t: TestDatabase;
let boss: PgBoss;
let smtp: Smtp;
let failingSmtp: Smtp;

beforeAll(async () => {
  ({ t, boss } = await openTestEnv());
  smtp = await startSmtp();
  failingSmtp = await startSmtp("Mailbox temporarily unavailable");
  process.env.SMTP_URL = smtp.url;
  process.env.RUNBOARD_URL = RUNBOARD_URL;
  delete process.env.SYSTEM_JOBS_ALERT_EMAIL;
  delete process.env.MAIL_FROM;
});
afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await boss.stop({ graceful: false, close: true });
  await Promise.all([smtp.close(), failingSmtp.close()]);
  await t.drop();
});

async function triggerOk(...args: Parameters<typeof trigger>): Promise<string> {
  const result = await trigger(...args);
  if (!result.ok) throw new Error("trigger refused");
  return result.runId;
}

async function triggerSystem(jobType: string): Promise<string> {
  const def = getJobDefinition(jobType)!;
  const result = await triggerRun(t.db, boss, { def, payload: def.payload.parse({}) as Record<string, unknown>, teamId: null, projectId: null, triggeredBy: null, notify: false });
  if (!result.ok) throw new Error(`${jobType} already active`);
  return result.runId;
}

const notificationsOf = (runId: string) => t.db.select().from(notifications).where(eq(notifications.runId, runId)).orderBy(asc(notifications.createdAt));

async function deliveryRunOf(notificationId: string) {
  const rows = await t.db
    .select()
    .from(jobRuns)
    .where(and(eq(jobRuns.jobType, "notification_delivery"), eq(jobRuns.resourceType, "notification"), eq(jobRuns.resourceId, notificationId)));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const ended = (r: { status: string }) => r.status !== "pending" && r.status !== "running";

/** The one notification an ended run produced, after its delivery run has ended. */
async function deliveredNotification(runId: string) {
  const [notification, ...more] = await notificationsOf(runId);
  expect(more).toHaveLength(0);
  expect(notification).toBeDefined();
  const delivery = await waitForRun(t.db, (await deliveryRunOf(notification!.id)).id, ended);
  const [after] = await t.db.select().from(notifications).where(eq(notifications.id, notification!.id));
  return { notification: after!, delivery };
}

async function emailOf(userId: string): Promise<string> {
  const [user] = await t.db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return user!.email;
}

async function slugOf(tenant: Tenant): Promise<string> {
  const [project] = await t.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, tenant.projectId));
  return project!.slug;
}

const steps = (runId: string) => t.db.select().from(jobRunSteps).where(eq(jobRunSteps.runId, runId)).orderBy(asc(jobRunSteps.createdAt));

describe("cancelling a pending run", () => {
  test("queues its email with the cancel, and a worker started later delivers it", async () => {
    const tenant = await createTenant(t.db);
    const to = await emailOf(tenant.userId);
    // No worker yet, so the run is certainly still pending when it is cancelled.
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 }, true);
    expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "cancelled", status: "cancelled" });
    const [queued, ...more] = await notificationsOf(runId);
    expect(more).toHaveLength(0);
    expect(queued).toMatchObject({ kind: "run_finished", toEmail: to, status: "pending", attempts: 0 });
    // The delivery run and its queue job were written by the cancel's own transaction.
    const delivery = await deliveryRunOf(queued!.id);
    expect(delivery).toMatchObject({ status: "pending", projectId: null, exclusiveKey: null, maxAttempts: 3, payload: { notificationId: queued!.id } });
    const [job] = await t.sql<{ state: string }[]>`select state from pgboss.job where id = ${delivery.bossJobId}`;
    expect(job?.state).toBe("created");

    const worker = await runWorker(t.url, { handlers });
    try {
      const { notification, delivery: done } = await deliveredNotification(runId);
      expect(done.status).toBe("completed");
      expect(notification).toMatchObject({ status: "sent", attempts: 1, lastError: null });
      const [mail, ...others] = mailsTo(smtp, to);
      expect(others).toHaveLength(0);
      expect(mail!.subject).toBe("[Runboard] Demo: paced run was cancelled");
      expect(mail!.text).toContain("Duration: it never started");
      expect(mail!.text).toContain(`${RUNBOARD_URL}/projects/${await slugOf(tenant)}/runs/${runId}`);
    } finally {
      await worker.stop();
    }
  });
});

describe("with a worker", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await runWorker(t.url, { handlers });
  });
  afterAll(async () => {
    await worker.stop();
  });

  test("a run started with notify that completes sends exactly one email to whoever started it", async () => {
    const tenant = await createTenant(t.db);
    const to = await emailOf(tenant.userId);
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 3, msPerItem: 20 }, true);
    await waitForRun(t.db, runId, (r) => r.status === "completed");
    const { notification, delivery } = await deliveredNotification(runId);
    expect(delivery).toMatchObject({ status: "completed", attemptCount: 1, result: { delivered: true, notificationId: notification.id } });
    expect(notification).toMatchObject({ kind: "run_finished", toEmail: to, status: "sent", attempts: 1, lastError: null });
    expect(notification.sentAt).not.toBeNull();
    expect((await steps(delivery.id)).map((s) => `${s.stepType}:${s.status}`)).toEqual(["send_email:completed", "attempt:completed"]);

    const [mail, ...others] = mailsTo(smtp, to);
    expect(others).toHaveLength(0);
    expect(mail!.from).toBe("runboard@localhost");
    expect(mail!.subject).toBe("[Runboard] Demo: paced run completed");
    expect(mail!.text).toContain("Demo: paced run completed in Project");
    expect(mail!.text).toContain("Status: completed");
    expect(mail!.text).toContain("Progress: Item 3 of 3");
    expect(mail!.text).toContain(`View the run: ${RUNBOARD_URL}/projects/${await slugOf(tenant)}/runs/${runId}`);
    // The delivery is a system run: it alerts nobody, so mail never begets mail.
    expect(await notificationsOf(delivery.id)).toHaveLength(0);
  });

  test("a running run that is cancelled sends one email when its worker ends it", async () => {
    const tenant = await createTenant(t.db);
    const to = await emailOf(tenant.userId);
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 200, msPerItem: 20 }, true);
    await waitForRun(t.db, runId, (r) => r.status === "running");
    expect(await cancelRun(t.db, boss, runId, tenant.userId)).toEqual({ outcome: "cancelling", status: "running" });
    // The request alone queues nothing: the email comes with the cancelled status.
    expect(await notificationsOf(runId)).toHaveLength(0);
    await waitForRun(t.db, runId, (r) => r.status === "cancelled");
    const { notification } = await deliveredNotification(runId);
    expect(notification.status).toBe("sent");
    const [mail, ...others] = mailsTo(smtp, to);
    expect(others).toHaveLength(0);
    expect(mail!.subject).toBe("[Runboard] Demo: paced run was cancelled");
  });

  test("a run without notify sends nothing", async () => {
    const tenant = await createTenant(t.db);
    const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 });
    await waitForRun(t.db, runId, (r) => r.status === "completed");
    // Notifications are written by the transaction that ended the run, so none now means none ever.
    expect(await notificationsOf(runId)).toHaveLength(0);
    expect(mailsTo(smtp, await emailOf(tenant.userId))).toHaveLength(0);
  });

  test("a failed run's email carries its error", async () => {
    const tenant = await createTenant(t.db);
    const to = await emailOf(tenant.userId);
    const fileId = await uploadFile(t.db, tenant, "people.csv", "text/csv", "name,phone\nAda,123\n");
    const runId = await triggerOk(t.db, boss, tenant, "contacts_import", { fileId }, true);
    await waitForRun(t.db, runId, (r) => r.status === "failed");
    const { notification } = await deliveredNotification(runId);
    expect(notification.status).toBe("sent");
    const [mail, ...others] = mailsTo(smtp, to);
    expect(others).toHaveLength(0);
    expect(mail!.subject).toBe("[Runboard] Import contacts failed");
    expect(mail!.text).toContain("Status: failed");
    expect(mail!.text).toContain('Error: The CSV header has no "email" column (found: name, phone). Add one and upload again.');
    expect(mail!.text).toMatch(/\(reference ERR-[0-9A-F]{8}\)/);
    expect(mail!.text).toContain(`${RUNBOARD_URL}/projects/${await slugOf(tenant)}/runs/${runId}`);
  });

  test("with SYSTEM_JOBS_ALERT_EMAIL set, system runs that complete or fail alert operators once", async () => {
    process.env.SYSTEM_JOBS_ALERT_EMAIL = ALERT_EMAIL;
    try {
      const completedId = await triggerSystem("partition_creation");
      await waitForRun(t.db, completedId, (r) => r.status === "completed");
      const completed = await deliveredNotification(completedId);
      expect(completed.notification).toMatchObject({ kind: "system_alert", toEmail: ALERT_EMAIL, status: "sent" });
      expect(completed.delivery.status).toBe("completed");
      // Delivery runs are system runs too, but alert nobody.
      expect(await notificationsOf(completed.delivery.id)).toHaveLength(0);

      const failedId = await triggerSystem("db_pruning");
      await waitForRun(t.db, failedId, (r) => r.status === "failed");
      await deliveredNotification(failedId);

      const alerts = mailsTo(smtp, ALERT_EMAIL);
      expect(alerts.map((m) => m.subject)).toEqual(["[Runboard] System job Partition creation completed", "[Runboard] System job Database pruning failed"]);
      expect(alerts[0]!.text).toContain(`npm run system -- show ${completedId}`);
      expect(alerts[1]!.text).toContain("Error: Pruning refused: retention misconfigured");
    } finally {
      delete process.env.SYSTEM_JOBS_ALERT_EMAIL;
    }
  });

  test("an invite is mailed with its link, and the stored copy loses the token once sent", async () => {
    const token = `tok${randomBytes(24).toString("base64url")}`;
    const to = `invitee-${randomBytes(4).toString("hex")}@example.test`;
    const content = inviteEmail({ teamName: "Acme", inviterName: "Ada Admin", role: "member", expiresAt: new Date(Date.now() + 7 * 86_400_000) }, RUNBOARD_URL, token);
    const notificationId = await t.db.transaction(async (tx) => {
      const [row] = await tx.insert(notifications).values({ kind: "invite", toEmail: to, subject: content.subject, bodyText: content.bodyText }).returning({ id: notifications.id });
      await enqueueDelivery(tx, boss, row!.id);
      return row!.id;
    });
    await waitForRun(t.db, (await deliveryRunOf(notificationId)).id, ended);
    const [mail, ...others] = mailsTo(smtp, to);
    expect(others).toHaveLength(0);
    expect(mail!.text).toContain(`${RUNBOARD_URL}/invite/${token}`);
    const [stored] = await t.db.select().from(notifications).where(eq(notifications.id, notificationId));
    expect(stored).toMatchObject({ status: "sent", attempts: 1 });
    expect(stored!.bodyText).not.toContain(token);
    expect(stored!.bodyText).toContain(`${RUNBOARD_URL}/invite/(link removed once sent)`);
    expect(stored!.bodyText).toContain("invited you to join Acme");
  });

  test("without SMTP_URL the notification is kept as unsent and its delivery run completes", async () => {
    delete process.env.SMTP_URL;
    try {
      const tenant = await createTenant(t.db);
      const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 }, true);
      await waitForRun(t.db, runId, (r) => r.status === "completed");
      const { notification, delivery } = await deliveredNotification(runId);
      expect(delivery).toMatchObject({ status: "completed", result: { delivered: false, reason: "SMTP_URL not configured" } });
      expect(notification).toMatchObject({ status: "unsent", attempts: 0, sentAt: null, lastError: "SMTP_URL not configured" });
      // Nothing lost: the message is still there to send.
      expect(notification.subject).toBe("[Runboard] Demo: paced run completed");
      expect(mailsTo(smtp, await emailOf(tenant.userId))).toHaveLength(0);
    } finally {
      process.env.SMTP_URL = smtp.url;
    }
  });

  test("a delivery the SMTP server keeps refusing is retried with backoff, then dead-lettered with its last error kept", async () => {
    process.env.SMTP_URL = failingSmtp.url;
    try {
      const tenant = await createTenant(t.db);
      const runId = await triggerOk(t.db, boss, tenant, "demo_paced", { items: 1, msPerItem: 10 }, true);
      await waitForRun(t.db, runId, (r) => r.status === "completed");
      const [queued] = await notificationsOf(runId);
      const deliveryId = (await deliveryRunOf(queued!.id)).id;

      // First failure: the run waits for its retry, the error is on the run and the notification.
      const waiting = await waitForRun(t.db, deliveryId, (r) => r.status === "pending" && r.attemptCount === 1);
      expect(waiting.error).toMatchObject({ type: "api_error", source: "external_service", subType: "smtp_error", retryable: true });
      expect(waiting.errorMessage).toContain("Mailbox temporarily unavailable");
      const [afterFirst] = await t.db.select().from(notifications).where(eq(notifications.id, queued!.id));
      expect(afterFirst).toMatchObject({ status: "pending", attempts: 1 });
      expect(afterFirst!.lastError).toContain("451 Mailbox temporarily unavailable");

      const dead = await waitForRun(t.db, deliveryId, (r) => r.status === "dead_letter", 20_000);
      expect(dead.attemptCount).toBe(3);
      expect(dead.error).toMatchObject({ subType: "smtp_error" });
      const [notification] = await t.db.select().from(notifications).where(eq(notifications.id, queued!.id));
      expect(notification).toMatchObject({ status: "failed", attempts: 3, sentAt: null });
      expect(notification!.lastError).toContain("451 Mailbox temporarily unavailable");
      expect(failingSmtp.rejected).toBe(3);

      const s = await steps(deliveryId);
      expect(s.filter((x) => x.stepType === "attempt").map((x) => `${x.attemptNumber}:${x.status}`)).toEqual(["1:retrying", "2:retrying", "3:failed"]);
      const sends = s.filter((x) => x.stepType === "send_email");
      expect(sends).toHaveLength(3);
      for (const step of sends) expect(step).toMatchObject({ status: "failed", errorType: "api_error", errorSource: "external_service", errorSubType: "smtp_error" });
      // Runboard's own dead-letter copy (pg-boss also files each failed attempt's job there).
      const [dlq] = await t.sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'runboard_dead_letter' and data->>'runId' = ${deliveryId} and data->>'jobType' = 'notification_delivery'`;
      expect(dlq?.n).toBe(1);

      // The waits came from the catalog's policy (10 s base, exponential, equal jitter): 5–10 s, then 10–20 s.
      const waits = retries.computed.filter((c) => c.policy === getJobDefinition("notification_delivery")!.retry);
      expect(waits.map((w) => w.attempt)).toEqual([1, 2]);
      expect(waits[0]!.seconds).toBeGreaterThanOrEqual(5);
      expect(waits[0]!.seconds).toBeLessThanOrEqual(10);
      expect(waits[1]!.seconds).toBeGreaterThanOrEqual(10);
      expect(waits[1]!.seconds).toBeLessThanOrEqual(20);
      // A failing delivery alerts nobody about itself.
      expect(await notificationsOf(deliveryId)).toHaveLength(0);
    } finally {
      process.env.SMTP_URL = smtp.url;
    }
  }, 40_000);
});
