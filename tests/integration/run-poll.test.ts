/**
 * The run poll (lib/dal/run-poll.ts) against a real Postgres: 304 for the version the client
 * holds, deltas with only the new rows, the full view when the structure changed, reads shared
 * across watchers (observably: a row written inside the shared read's lifetime shows on the next
 * read, not this one), never across view kinds, runs or projects. The Auth.js session is the only
 * thing faked.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { jobRunCalls, jobRuns, jobRunSteps, teamMembers, users } from "@/lib/db/schema";
import { eq, sql } from "drizzle-orm";
import type { TestDatabase } from "../support/db";
import { createTenant, type Tenant } from "../support/fixtures";
import { createTestDatabase } from "../support/db";

const session: { userId: string | null } = { userId: null };
vi.mock("server-only", () => ({}));
vi.mock("@/lib/dal/session-claims", async () => ({ sessionClaims: (await import("../support/session-claims")).claimsFromAuth }));
vi.mock("@/lib/auth/config", () => ({
  auth: async () => (session.userId ? { user: { id: session.userId }, sessionId: await (await import("../support/sessions")).liveSessionId(session.userId) } : null),
}));

const { pollRun, parseEtag } = await import("@/lib/dal/run-poll");
const { getRunView } = await import("@/lib/dal/runs");
const { sharedReads } = await import("@/lib/dal/shared-read");

const SECRET_URL = "postgres://u:supersecret@db/x";

let t: TestDatabase;
let acme: Tenant;
let globex: Tenant;
let acmeSlug: string;
let supportId: string;
let readerId: string;
let noGrantsId: string;

const as = (userId: string | null) => {
  session.userId = userId;
};

async function insertRun(tenant: Tenant, values: Partial<typeof jobRuns.$inferInsert> = {}): Promise<string> {
  const id = randomUUID();
  await t.db.insert(jobRuns).values({
    id,
    teamId: tenant.teamId,
    projectId: tenant.projectId,
    jobType: "demo_paced",
    status: "running",
    maxAttempts: 1,
    attemptCount: 1,
    payload: { dsn: SECRET_URL },
    startedAt: new Date(Date.now() - 5000),
    lastHeartbeat: new Date(),
    progressProcessed: 0,
    progressTotal: 10,
    ...values,
  });
  return id;
}

async function step(runId: string, name: string): Promise<void> {
  await t.db.insert(jobRunSteps).values({ runId, stepType: name, status: "completed", attemptNumber: 1, durationMs: 5 });
}

async function moveOn(runId: string, processed: number, message = `batch ${processed}`): Promise<void> {
  await t.db.update(jobRuns).set({ progressProcessed: processed, progressMessage: message, updatedAt: sql`now()`, lastHeartbeat: sql`now()` }).where(eq(jobRuns.id, runId));
}

type Body = { kind?: string; id?: string; steps: { stepType: string }[]; calls: { url: string }[]; progress: { processed: number | null; message: string | null }; status: string };
const bodyOf = (poll: Awaited<ReturnType<typeof pollRun>>) => {
  if (!poll || poll.notModified) throw new Error(`expected a body, got ${JSON.stringify(poll)}`);
  return poll.body as unknown as Body;
};

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  acme = await createTenant(t.db);
  globex = await createTenant(t.db);
  acmeSlug = (await t.sql<{ slug: string }[]>`select slug from projects where id = ${acme.projectId}`)[0]!.slug;
  const [s] = await t.db.insert(users).values({ email: `support-${randomUUID()}@example.test`, name: "Support", passwordHash: "x", instanceRole: "support" }).returning();
  supportId = s!.id;
  const [r] = await t.db.insert(users).values({ email: `reader-${randomUUID()}@example.test`, name: "Reader", passwordHash: "x", instanceRole: "user" }).returning();
  readerId = r!.id;
  await t.db.insert(teamMembers).values({ teamId: acme.teamId, userId: readerId, role: "member", grants: ["jobs:read"] });
  const [n] = await t.db.insert(users).values({ email: `nogrants-${randomUUID()}@example.test`, name: "No grants", passwordHash: "x", instanceRole: "user" }).returning();
  noGrantsId = n!.id;
  await t.db.insert(teamMembers).values({ teamId: acme.teamId, userId: noGrantsId, role: "member", grants: [] });
});

beforeEach(() => sharedReads.clear());

afterAll(async () => {
  const { getDatabase } = await import("@/lib/db/client");
  await getDatabase().close();
  await t.drop();
});

describe("run poll", () => {
  test("the version the full view carries is the one the next poll checks: unchanged is 304", async () => {
    const runId = await insertRun(acme);
    await step(runId, "prepare");
    await t.db.insert(jobRunCalls).values({ runId, attempt: 1, method: "GET", url: "https://x.test/", requestHeaders: {}, durationMs: 1, redacted: true });
    as(acme.userId);
    const first = await pollRun(acmeSlug, runId, null);
    expect(bodyOf(first).id).toBe(runId);
    expect(await pollRun(acmeSlug, runId, first!.etag)).toEqual({ etag: first!.etag, notModified: true });
    // Each viewer kind has its own version: support's is not a 304 for a reader, and back.
    as(readerId);
    const reader = await pollRun(acmeSlug, runId, first!.etag);
    expect(reader!.notModified).toBe(false);
    expect(await pollRun(acmeSlug, runId, reader!.etag)).toMatchObject({ notModified: true });
  });

  test("a moving run answers deltas with only the new steps and calls; the structure changing sends the full view", async () => {
    const runId = await insertRun(acme);
    await step(runId, "prepare");
    as(acme.userId);
    const v0 = await pollRun(acmeSlug, runId, null);
    await new Promise((r) => setTimeout(r, 5)); // distinct millisecond timestamps
    await moveOn(runId, 3);
    await step(runId, "batch_1");
    await t.db.insert(jobRunCalls).values({ runId, attempt: 1, method: "GET", url: "https://x.test/1", requestHeaders: {}, durationMs: 1, redacted: true });
    sharedReads.clear();
    const d1 = await pollRun(acmeSlug, runId, v0!.etag);
    const b1 = bodyOf(d1);
    expect(b1.kind).toBe("delta");
    expect(b1.steps.map((s) => s.stepType)).toEqual(["batch_1"]);
    expect(b1.calls.map((c) => c.url)).toEqual(["https://x.test/1"]);
    expect(b1.progress.processed).toBe(3);
    expect(JSON.stringify(b1)).not.toContain("dsn");
    expect(await pollRun(acmeSlug, runId, d1!.etag)).toMatchObject({ notModified: true });

    // A cancel request (structure): the full view.
    await t.db.update(jobRuns).set({ cancelRequestedAt: new Date(), updatedAt: sql`now()` }).where(eq(jobRuns.id, runId));
    sharedReads.clear();
    const full = bodyOf(await pollRun(acmeSlug, runId, d1!.etag));
    expect(full.kind).toBeUndefined();
    expect(full.steps.map((s) => s.stepType)).toEqual(["prepare", "batch_1"]);

    // Ended: the full view, whatever the client held.
    await t.db.update(jobRuns).set({ status: "completed", completedAt: new Date(), updatedAt: sql`now()` }).where(eq(jobRuns.id, runId));
    sharedReads.clear();
    const end = bodyOf(await pollRun(acmeSlug, runId, d1!.etag));
    expect(end.kind).toBeUndefined();
    expect(end.status).toBe("completed");
  });

  test("a client further behind than the shared snapshot reaches gets the full view", async () => {
    const runId = await insertRun(acme);
    as(acme.userId);
    const v0 = await pollRun(acmeSlug, runId, null);
    await new Promise((r) => setTimeout(r, 5));
    await t.db.insert(jobRunSteps).values(Array.from({ length: 60 }, (_, i) => ({ runId, stepType: `s${i}`, status: "completed" as const, attemptNumber: 1, createdAt: new Date(Date.now() + i) })));
    await moveOn(runId, 5);
    sharedReads.clear(); // the first poll's full view is shared for a second
    const body = bodyOf(await pollRun(acmeSlug, runId, v0!.etag));
    expect(body.kind).toBeUndefined();
    expect(body.steps).toHaveLength(60);
  });

  test("watchers share one read per run and kind: a row written inside its lifetime shows on the next read", async () => {
    const runId = await insertRun(acme);
    as(acme.userId);
    const v0 = await pollRun(acmeSlug, runId, null);
    await new Promise((r) => setTimeout(r, 5));
    await moveOn(runId, 1);
    // 50 watchers at once: one snapshot read, the same answer for all.
    const answers = await Promise.all(Array.from({ length: 50 }, () => pollRun(acmeSlug, runId, v0!.etag)));
    expect(new Set(answers.map((a) => a!.etag)).size).toBe(1);
    expect(answers.every((a) => !a!.notModified && (a!.body as unknown as Body).kind === "delta")).toBe(true);
    // Written now, inside the shared read's lifetime: the fresh version differs, the shared
    // snapshot does not have it yet, so this poll says "nothing newer" rather than read again.
    await new Promise((r) => setTimeout(r, 5));
    await step(runId, "late");
    const again = await pollRun(acmeSlug, runId, answers[0]!.etag);
    expect(again).toEqual({ etag: answers[0]!.etag, notModified: true });
    // Once the shared read has expired (forced here), the next poll carries it.
    sharedReads.clear();
    expect(bodyOf(await pollRun(acmeSlug, runId, answers[0]!.etag)).steps.map((s) => s.stepType)).toEqual(["late"]);
  });

  test("shared reads never cross view kinds: support's unredacted snapshot does not reach a tenant, nor the reverse", async () => {
    const runId = await insertRun(acme);
    as(supportId);
    const s0 = await pollRun(acmeSlug, runId, null);
    as(acme.userId);
    const a0 = await pollRun(acmeSlug, runId, null);
    await new Promise((r) => setTimeout(r, 5));
    await moveOn(runId, 2, `via ${SECRET_URL}`);
    as(supportId);
    const s1 = bodyOf(await pollRun(acmeSlug, runId, s0!.etag));
    expect(s1.progress.message).toContain("supersecret");
    as(acme.userId);
    const a1 = bodyOf(await pollRun(acmeSlug, runId, a0!.etag));
    expect(a1.kind).toBe("delta");
    expect(a1.progress.message).not.toContain("supersecret");
    // Full views too: support's first, then the tenant's, inside the same lifetime.
    as(supportId);
    expect(JSON.stringify(bodyOf(await pollRun(acmeSlug, runId, null)))).toContain("supersecret");
    as(acme.userId);
    expect(JSON.stringify(bodyOf(await pollRun(acmeSlug, runId, null)))).not.toContain("supersecret");
    // A tenant presenting support's version gets their own full view, not a 304 or support's delta.
    const forged = await pollRun(acmeSlug, runId, s0!.etag);
    expect(forged!.notModified).toBe(false);
    expect(JSON.stringify(bodyOf(forged))).not.toContain("supersecret");
  });

  test("access first: other team not found (even while the run is shared-cached), member without jobs:read forbidden, signed out unauthenticated", async () => {
    const runId = await insertRun(acme);
    as(acme.userId);
    const v = await pollRun(acmeSlug, runId, null);
    as(globex.userId);
    await expect(pollRun(acmeSlug, runId, v!.etag)).rejects.toMatchObject({ code: "not_found" });
    // Their own project's slug with Acme's run id: the run is not theirs.
    const globexSlug = (await t.sql<{ slug: string }[]>`select slug from projects where id = ${globex.projectId}`)[0]!.slug;
    expect(await pollRun(globexSlug, runId, v!.etag)).toBeNull();
    expect(await pollRun(acmeSlug.replace(/.$/, "\u0000"), runId, null).catch((e: { code: string }) => e.code)).toBe("not_found");
    as(noGrantsId);
    await expect(pollRun(acmeSlug, runId, v!.etag)).rejects.toMatchObject({ code: "forbidden" });
    as(null);
    await expect(pollRun(acmeSlug, runId, v!.etag)).rejects.toMatchObject({ code: "unauthenticated" });
    as(acme.userId);
    expect(await pollRun(acmeSlug, "not-a-uuid", null)).toBeNull();
    expect(await pollRun(acmeSlug, randomUUID(), null)).toBeNull();
  });

  test("hostile versions: garbage, huge, another run's and forged ones are read as nothing or as the caller's own", async () => {
    const runId = await insertRun(acme);
    const other = await insertRun(acme);
    await step(runId, "mine");
    as(acme.userId);
    const otherEtag = (await pollRun(acmeSlug, other, null))!.etag;
    for (const header of ['"garbage"', "*", `"${"9".repeat(100_000)}"`, 'W/"r1"', otherEtag]) {
      const poll = await pollRun(acmeSlug, runId, header);
      expect(poll!.notModified).toBe(false);
      const body = bodyOf(poll);
      if (body.kind !== "delta") expect(body.id).toBe(runId);
      expect(JSON.stringify(body)).not.toContain("supersecret");
    }
    // A forged version of this run (claiming no steps seen): at most a 304 for exactly what it
    // claims, or the caller's own view; never another kind's.
    const forged = otherEtag.replace(other, runId).replace(/\.\d+\.\d+"$/, '.0.0"');
    const answer = await pollRun(acmeSlug, runId, forged);
    if (answer!.notModified) expect(answer!.etag).toBe(forged);
    else expect(JSON.stringify(bodyOf(answer))).not.toContain("supersecret");
    expect(parseEtag(`"${"1".repeat(300)}"`)).toBeNull();
    expect(parseEtag(otherEtag)?.runId).toBe(other);
  });

  test("the page's own read (getRunView) is not shared: it is always fresh", async () => {
    const runId = await insertRun(acme);
    as(acme.userId);
    await pollRun(acmeSlug, runId, null);
    await step(runId, "fresh");
    expect((await getRunView(acmeSlug, runId))!.steps.map((s) => s.stepType)).toEqual(["fresh"]);
  });
});
