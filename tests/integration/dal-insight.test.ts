/**
 * The run page, resource, error explorer, insights and outbox DAL functions against a real
 * Postgres, with their own permission checks: the signed-in user is the only thing faked (the
 * Auth.js session), everything else — users, memberships, runs — is real rows.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { auditEvents, jobRunCalls, jobRuns, jobRunSteps, notifications, teamMembers, users } from "@/lib/db/schema";
import type { TestDatabase } from "../support/db";
import { createTenant, type Tenant } from "../support/fixtures";
import { createTestDatabase } from "../support/db";

const session: { userId: string | null } = { userId: null };
vi.mock("server-only", () => ({}));
// Auth.js stand-in: the cookie's claims, backed by a real live session row.
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.userId ? { user: { id: session.userId }, sessionId: await (await import("../support/sessions")).liveSessionId(session.userId) } : null),
}));

const { getRunView } = await import("@/lib/dal/runs");
const { pollRun } = await import("@/lib/dal/run-poll");
const { sharedReads } = await import("@/lib/dal/shared-read");
const { listProjectResourceRuns } = await import("@/lib/dal/resources");
const { getErrorSummary, listErrorRuns } = await import("@/lib/dal/errors");
const { getProjectInsights } = await import("@/lib/dal/insights");
const { listOutbox } = await import("@/lib/dal/outbox");

const SECRET_URL = "postgres://u:supersecret@db/x";
const SECRET_KEY = "sk_live_abcdefghijklmnop";

let t: TestDatabase;
let acme: Tenant;
let globex: Tenant;
let acmeSlug: string;
let supportId: string;
let ownerId: string;
let memberId: string;

async function userWith(role: "user" | "support" | "owner"): Promise<string> {
  const [u] = await t.db.insert(users).values({ email: `${role}-${randomUUID()}@example.test`, name: `A ${role}`, passwordHash: "x", instanceRole: role }).returning();
  return u!.id;
}

const as = (userId: string) => {
  session.userId = userId;
};

type RunInsert = typeof jobRuns.$inferInsert;
async function insertRun(tenant: Tenant, values: Partial<RunInsert>): Promise<string> {
  const id = randomUUID();
  await t.db.insert(jobRuns).values({ id, teamId: tenant.teamId, projectId: tenant.projectId, jobType: "demo_paced", status: "completed", maxAttempts: 3, payload: {}, ...values });
  return id;
}
const ago = (ms: number) => new Date(Date.now() - ms);

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  acme = await createTenant(t.db);
  globex = await createTenant(t.db);
  acmeSlug = (await t.sql<{ slug: string }[]>`select slug from projects where id = ${acme.projectId}`)[0]!.slug;
  supportId = await userWith("support");
  ownerId = await userWith("owner");
  memberId = await userWith("user");
  await t.db.insert(teamMembers).values({ teamId: acme.teamId, userId: memberId, role: "member" });
});

afterAll(async () => {
  const { getDatabase } = await import("@/lib/db/client");
  await getDatabase().close();
  await t.drop();
});

describe("run page", () => {
  test("tenants get the planted secret masked everywhere, support sees it; audit, attempts, calls and ETA are there", async () => {
    const error = { message: `connect to ${SECRET_URL} failed (${SECRET_KEY})`, type: "database_error", source: "database", subType: "connection_failed", severity: 4, retryable: true, stack: `Error: ${SECRET_URL}\n    at connect (db.ts:1)` };
    const runId = await insertRun(acme, {
      status: "failed",
      attemptCount: 1,
      startedAt: ago(5000),
      completedAt: ago(1000),
      payload: { url: SECRET_URL, apiKey: SECRET_KEY },
      error,
      errorMessage: error.message,
      progressMessage: `using ${SECRET_URL}`,
    });
    await t.db.insert(jobRunSteps).values([
      { runId, stepType: "attempt", status: "started", attemptNumber: 1, createdAt: ago(5000) },
      { runId, stepType: "attempt", status: "failed", attemptNumber: 1, durationMs: 4000, errorMessage: error.message, errorType: error.type, errorSubType: error.subType, errorSeverity: 4, createdAt: ago(1000) },
    ]);
    await t.db.insert(jobRunCalls).values({ runId, attempt: 1, method: "POST", url: `https://api.example.test/x?token=${SECRET_KEY}`, requestHeaders: { authorization: `Bearer ${SECRET_KEY}` }, requestBody: `{"dsn":"${SECRET_URL}"}`, responseStatus: 500, responseBody: "no", durationMs: 12 });
    await t.db.insert(auditEvents).values({ teamId: acme.teamId, runId, actorUserId: acme.userId, action: "run.triggered", details: { jobType: "demo_paced" } });

    as(acme.userId);
    const tenant = await getRunView(acmeSlug, runId);
    const tenantJson = JSON.stringify(tenant);
    expect(tenantJson).not.toContain("supersecret");
    expect(tenantJson).not.toContain(SECRET_KEY);
    expect(tenant!.error!.stack).toBeNull();
    expect(tenant!.error!.reference).toBe(`ERR-${runId.slice(0, 8).toUpperCase()}`);
    expect(tenant!.error!.subType).toBe("connection_failed");
    expect(tenant!.attemptList).toEqual([expect.objectContaining({ number: 1, status: "failed", durationMs: 4000 })]);
    expect(tenant!.attemptList[0]!.error!.message).toContain("postgres://***@db/x");
    expect(tenant!.calls).toHaveLength(1);
    expect(tenant!.calls[0]!.status).toBe(500);
    expect(tenant!.audit).toEqual([expect.objectContaining({ action: "run.triggered", actor: expect.stringContaining("Admin") })]);

    as(supportId);
    const support = await getRunView(acmeSlug, runId);
    expect(support!.error!.stack).toContain("supersecret");
    expect(JSON.stringify(support!.payload)).toContain(SECRET_KEY);
  });

  test("attempts: an ended one from its step row (start = end minus duration), the one under way from the run row", async () => {
    const attemptStartedAt = ago(2000);
    const endedAt = ago(3000);
    const runId = await insertRun(acme, { status: "running", attemptCount: 2, startedAt: ago(4500), attemptStartedAt, lastHeartbeat: ago(500) });
    await t.db.insert(jobRunSteps).values({ runId, stepType: "attempt", status: "retrying", attemptNumber: 1, durationMs: 1500, createdAt: endedAt, errorMessage: "boom", errorType: "internal", errorSubType: "x", errorSeverity: 3 });
    as(acme.userId);
    const view = await getRunView(acmeSlug, runId);
    expect(view!.attemptList).toEqual([
      { number: 1, status: "retrying", startedAt: new Date(endedAt.getTime() - 1500).toISOString(), endedAt: endedAt.toISOString(), durationMs: 1500, error: expect.objectContaining({ message: "boom" }) },
      { number: 2, status: "running", startedAt: attemptStartedAt.toISOString(), endedAt: null, durationMs: null, error: null },
    ]);
  });

  test("history ETA from the type's recent completed durations when progress is unknown", async () => {
    const other = await createTenant(t.db);
    const slug = (await t.sql<{ slug: string }[]>`select slug from projects where id = ${other.projectId}`)[0]!.slug;
    for (const seconds of [40, 60, 80]) await insertRun(other, { startedAt: ago(100_000 + seconds * 1000), completedAt: ago(100_000), queuedAt: ago(100_000 + seconds * 1000) });
    const running = await insertRun(other, { status: "running", startedAt: ago(10_000), lastHeartbeat: ago(3000), attemptCount: 1 });
    as(other.userId);
    const view = await getRunView(slug, running);
    expect(view!.etaBasis).toBe("history");
    expect(view!.etaSeconds).toBeGreaterThanOrEqual(49);
    expect(view!.etaSeconds).toBeLessThanOrEqual(50);
    expect(view!.heartbeatAgeSeconds).toBeGreaterThanOrEqual(3);
    expect(view!.staleAfterSeconds).toBe(120);
    // A run not started yet (queued, or scheduled for later) has no ETA, however typical the type.
    const waiting = await insertRun(other, { status: "pending", queuedAt: ago(1000) });
    const pending = await getRunView(slug, waiting);
    expect(pending!.etaSeconds).toBeNull();
    expect(pending!.etaBasis).toBeNull();
  });

  test("the poll version: one answer per access case, and it changes with a new call or step", async () => {
    const runId = await insertRun(acme, { status: "running", startedAt: ago(1000), attemptCount: 1 });
    // Each check reads afresh (the poll shares its reads for a second across watchers).
    const version = async (slug: string, id: string) => {
      sharedReads.clear();
      return (await pollRun(slug, id, null))?.etag ?? null;
    };
    as(acme.userId);
    const v1 = await version(acmeSlug, runId);
    expect(v1).toMatch(new RegExp(`^"r1\\.${runId}\\.w\\..+\\.running\\.`));
    expect(await version(acmeSlug, runId)).toBe(v1);
    await t.db.insert(jobRunCalls).values({ runId, attempt: 1, method: "GET", url: "https://x.test/", requestHeaders: {}, durationMs: 1 });
    const v2 = await version(acmeSlug, runId);
    expect(v2).not.toBe(v1);
    expect(await version(acmeSlug, randomUUID())).toBeNull();
    expect(await version(acmeSlug, "not-a-uuid")).toBeNull();

    as(memberId); // a member without grants
    await expect(version(acmeSlug, runId)).rejects.toMatchObject({ code: "forbidden" });
    as(globex.userId); // another team
    await expect(version(acmeSlug, runId)).rejects.toMatchObject({ code: "not_found" });
    as(supportId);
    expect(await version(acmeSlug, runId)).toContain(`${runId}.s.`);
    session.userId = null;
    await expect(version(acmeSlug, runId)).rejects.toMatchObject({ code: "unauthenticated" });
  });
});

describe("resource runs", () => {
  test("keyset pages of one resource's runs in this project only", async () => {
    const resourceId = randomUUID();
    for (let i = 0; i < 27; i++) await insertRun(acme, { resourceType: "file", resourceId, queuedAt: ago(i * 1000) });
    await insertRun(globex, { resourceType: "file", resourceId });
    as(acme.userId);
    const first = await listProjectResourceRuns(acmeSlug, "file", resourceId);
    expect(first!.rows).toHaveLength(25);
    const second = await listProjectResourceRuns(acmeSlug, "file", resourceId, first!.nextCursor!);
    expect(second!.rows).toHaveLength(2);
    expect(second!.nextCursor).toBeNull();
    expect(new Set([...first!.rows, ...second!.rows].map((r) => r.id)).size).toBe(27);
    expect(await listProjectResourceRuns(acmeSlug, "file", "nope")).toBeNull();
    as(memberId);
    await expect(listProjectResourceRuns(acmeSlug, "file", resourceId)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("error explorer", () => {
  test("groups errors across teams by job type and sub-type with per-hour counts; support only", async () => {
    const subType = `planted_${randomUUID().slice(0, 8)}`;
    const err = (severity: number) => ({ message: "boom", type: "api_error", source: "external_service", subType, severity, retryable: true });
    await insertRun(acme, { status: "failed", error: err(3), completedAt: ago(30 * 60_000), queuedAt: ago(31 * 60_000) });
    await insertRun(globex, { status: "dead_letter", error: err(5), completedAt: ago(3 * 3600_000), queuedAt: ago(3 * 3600_000 + 1000) });
    await insertRun(acme, { status: "failed", error: err(2), completedAt: ago(3 * 86400_000), queuedAt: ago(3 * 86400_000) });

    as(supportId);
    const day = await getErrorSummary("24h");
    const group = day.groups.find((g) => g.subType === subType)!;
    expect(group).toMatchObject({ jobType: "demo_paced", type: "api_error", source: "external_service", count: 2, maxSeverity: 5 });
    expect(group.series).toHaveLength(24);
    expect(group.series.reduce((a, b) => a + b, 0)).toBe(2);
    const week = await getErrorSummary("7d");
    expect(week.groups.find((g) => g.subType === subType)!.count).toBe(3);
    expect(week.groups.find((g) => g.subType === subType)!.series).toHaveLength(7);

    const runs = await listErrorRuns("7d", "demo_paced", subType);
    expect(runs.rows).toHaveLength(3);
    expect(new Set(runs.rows.map((r) => r.teamName)).size).toBe(2);

    for (const userId of [acme.userId, memberId, ownerId]) {
      as(userId);
      await expect(getErrorSummary("24h")).rejects.toMatchObject({ code: "not_found" });
      await expect(listErrorRuns("24h", "demo_paced", subType)).rejects.toMatchObject({ code: "not_found" });
    }
  });
});

describe("insights", () => {
  test("runs per bucket, failure rate and duration percentiles of one job type", async () => {
    const tenant = await createTenant(t.db);
    const slug = (await t.sql<{ slug: string }[]>`select slug from projects where id = ${tenant.projectId}`)[0]!.slug;
    // Ten runs of 1..10 s an hour and a half ago, two of them failed; one pending run now.
    for (let i = 1; i <= 10; i++) {
      const queued = ago(90 * 60_000);
      await insertRun(tenant, { status: i <= 2 ? "failed" : "completed", queuedAt: queued, startedAt: queued, completedAt: new Date(queued.getTime() + i * 1000) });
    }
    await insertRun(tenant, { status: "pending" });
    await insertRun(tenant, { jobType: "runs_export", status: "completed" });
    as(tenant.userId);
    const view = await getProjectInsights(slug, "demo_paced", "24h");
    expect(view.buckets).toHaveLength(24);
    expect(view.totals).toEqual({ runs: 11, failed: 2, failureRate: 0.2, p50Ms: 5500, p95Ms: 9550 });
    expect(view.buckets.at(-1)!.runs).toBe(1);
    expect(view.buckets.reduce((a, b) => a + b.runs, 0)).toBe(11);
    const hot = view.buckets.find((b) => b.runs === 10)!;
    expect(hot.failureRate).toBe(0.2);
    // Unknown job types fall back to the first one; the week view has days.
    expect((await getProjectInsights(slug, "nope", "7d")).buckets).toHaveLength(7);
    as(memberId);
    await expect(getProjectInsights(acmeSlug, "demo_paced", "24h")).rejects.toMatchObject({ code: "forbidden" });
    as(globex.userId);
    await expect(getProjectInsights(acmeSlug, "demo_paced", "24h")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("outbox", () => {
  test("keyset pages for support and the instance owner (errors masked for the owner); not found for tenants", async () => {
    for (let i = 0; i < 30; i++) {
      await t.db.insert(notifications).values({ kind: "run_finished", toEmail: `u${i}@example.test`, subject: `Run ${i}`, bodyText: "b", status: i % 2 ? "unsent" : "failed", attempts: 3, lastError: `smtp://mail:${"pw"}secret@smtp.test refused`, createdAt: ago(i * 1000) });
    }
    as(supportId);
    const first = await listOutbox(null);
    expect(first.rows).toHaveLength(25);
    expect(first.rows[0]!.subject).toBe("Run 0");
    expect(first.rows[0]!.lastError).toContain("pwsecret");
    const second = await listOutbox(null, first.nextCursor!);
    expect(second.rows).toHaveLength(5);
    expect((await listOutbox("unsent")).rows.every((r) => r.status === "unsent")).toBe(true);
    as(ownerId);
    const owner = await listOutbox("failed");
    expect(owner.rows).toHaveLength(15);
    expect(owner.rows[0]!.lastError).not.toContain("pwsecret");
    for (const userId of [acme.userId, memberId]) {
      as(userId);
      await expect(listOutbox(null)).rejects.toMatchObject({ code: "not_found" });
    }
  });
});
