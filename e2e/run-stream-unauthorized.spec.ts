import { expect, test, type Browser } from "./support/test";
import { ACCOUNTS, OUTSIDER_PROJECT, storageState, type Role } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { cookieHeader, openEventStream } from "./support/event-stream";
import { createTeamUser, signedIn } from "./support/users";
import type postgres from "postgres";

/**
 * The run stream (lib/dal/run-stream.ts) shares one answer per run, view kind and version across
 * its watchers, and re-checks every watcher's session and access each second. Prove the sharing
 * never crosses a permission, that the refusals are the poll's, that losing access mid-stream ends
 * it, and that hostile versions and a flood of streams change nothing.
 */
const SECRET_URL = "postgres://u:supersecret@db/x";
const LEAKS = ["supersecret"];

async function cookieOf(browser: Browser, role: Role): Promise<{ cookie: string; close: () => Promise<void> }> {
  const context = await browser.newContext({ storageState: storageState(role) });
  return { cookie: await cookieHeader(context), close: () => context.close() };
}

async function insertRun(sql: postgres.Sql): Promise<string> {
  const [g] = await sql<{ id: string; team_id: string }[]>`select id, team_id from projects where slug = ${OUTSIDER_PROJECT}`;
  const [run] = await sql<{ id: string }[]>`
    insert into job_runs (id, team_id, project_id, job_type, status, max_attempts, attempt_count, payload, queued_at, started_at, attempt_started_at, last_heartbeat, progress_processed, progress_total, progress_message)
    values (gen_random_uuid(), ${g!.team_id}, ${g!.id}, 'demo_paced', 'running', 1, 1, ${sql.json({ dsn: SECRET_URL })}, now(), now(), now(), now(), 1, 10, ${`connecting to ${SECRET_URL}`})
    returning id`;
  return run!.id;
}

const moveRun = (sql: postgres.Sql, runId: string, n: number) =>
  sql`update job_runs set progress_processed = ${n}, progress_message = ${`batch ${n} via ${SECRET_URL}`}, last_heartbeat = now(), updated_at = now() where id = ${runId}`;

test("support's unredacted answers never reach a tenant's stream; other teams get 404, signed out and API keys 401, hostile versions an honest view", async ({ browser }) => {
  const sql = e2eSql();
  const runIds: string[] = [];
  const support = await cookieOf(browser, "support");
  const tenant = await cookieOf(browser, "outsider");
  const otherTeam = await cookieOf(browser, "admin"); // Acme's admin: not a member of Globex
  const streams: { close: () => void }[] = [];
  try {
    const runId = await insertRun(sql);
    runIds.push(runId);
    const url = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events`;
    // Support first, then several tenant streams, all open together on one run.
    const s = await openEventStream(url, { cookie: support.cookie });
    streams.push(s);
    expect(s.status).toBe(200);
    expect(s.contentType).toContain("text/event-stream");
    const tenants = await Promise.all(Array.from({ length: 5 }, () => openEventStream(url, { cookie: tenant.cookie })));
    streams.push(...tenants);
    expect((await s.next((e) => e.event === "run")).data).toContain("supersecret");
    for (const t of tenants) {
      const first = await t.next((e) => e.event === "run");
      for (const leak of LEAKS) expect(first.data).not.toContain(leak);
      expect(first.data).toContain("postgres://***@db/x");
    }
    // The run moves: every stream gets a delta of its own kind from the shared reads.
    await moveRun(sql, runId, 3);
    const sDelta = await s.next((e) => e.event === "run" && e.data.includes("batch 3"));
    expect(JSON.parse(sDelta.data)).toMatchObject({ kind: "delta" });
    expect(sDelta.data).toContain("supersecret");
    for (const t of tenants) {
      const delta = await t.next((e) => e.event === "run" && e.data.includes("batch 3"));
      expect(JSON.parse(delta.data)).toMatchObject({ kind: "delta" });
      for (const leak of LEAKS) expect(delta.data).not.toContain(leak);
    }

    // Another team's admin: 404 while the run is in the shared reads; signed out: 401; an API key
    // (streams are for signed-in pages) and junk: 401. None of them is a stream or carries a row.
    for (const [headers, status] of [
      [{ cookie: otherTeam.cookie }, 404],
      [{ cookie: otherTeam.cookie, "last-event-id": sDelta.id }, 404],
      [{}, 401],
      [{ cookie: "authjs.session-token=junk" }, 401],
      [bearer((await insertApiKey(sql, { team: "globex", createdBy: ACCOUNTS.outsider.email, scopes: ["jobs:read"] })).key), 401],
    ] as const) {
      const r = await openEventStream(url, headers);
      expect(r.status, JSON.stringify(headers).slice(0, 60)).toBe(status);
      expect(r.contentType).not.toContain("text/event-stream");
      for (const leak of [...LEAKS, "batch"]) expect(r.body).not.toContain(leak);
    }
    // Not a run of this project, not a uuid: 404.
    expect((await openEventStream(`/api/projects/${OUTSIDER_PROJECT}/runs/00000000-0000-4000-8000-000000000000/events`, { cookie: tenant.cookie })).status).toBe(404);
    expect((await openEventStream(`/api/projects/${OUTSIDER_PROJECT}/runs/not-a-run/events`, { cookie: tenant.cookie })).status).toBe(404);

    // Hostile versions (as Last-Event-ID or ?since=): support's id, garbage, huge, a forged "since
    // nothing". Each gets the tenant's own full view or a delta, never support's, never a 500.
    const held = tenants[0]!.events.at(-1)!.id;
    const forged = held.split(".").map((part, i) => (i === 3 ? "0" : part)).join(".");
    // The version the tenant holds: nothing to send until the run moves.
    const quiet = await openEventStream(url, { cookie: tenant.cookie, "last-event-id": held });
    streams.push(quiet);
    expect(quiet.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(quiet.events.filter((e) => e.event === "run")).toEqual([]);
    // A NUL in the address is refused before anything reads it.
    const nul = await openEventStream(`${url}?since=${encodeURIComponent("a\u0000b")}`, { cookie: tenant.cookie });
    expect(nul.status).toBe(400);
    for (const since of [sDelta.id, '"garbage"', `"${"9".repeat(4000)}"`, forged]) {
      const byHeader = since.length < 1000;
      const r = await openEventStream(byHeader ? url : `${url}?since=${encodeURIComponent(since)}`, { cookie: tenant.cookie, ...(byHeader ? { "last-event-id": since } : {}) });
      streams.push(r);
      expect(r.status, since.slice(0, 40)).toBe(200);
      const first = await r.next((e) => e.event === "run");
      for (const leak of LEAKS) expect(first.data).not.toContain(leak);
      r.close();
    }
  } finally {
    for (const st of streams) st.close();
    await support.close();
    await tenant.close();
    await otherTeam.close();
    for (const id of runIds) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${id} and status = 'running'`;
    await sql.end();
  }
});

test("losing access ends an open stream within seconds: a revoked grant, a signed-out session, a disabled user", async ({ browser }) => {
  const sql = e2eSql();
  let runId = "";
  try {
    runId = await insertRun(sql);
    const url = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events`;
    const user = await createTeamUser(sql, "globex", "member", ["jobs:read"]);
    const watch = async () => {
      const context = await signedIn(browser, user.email, user.password);
      const stream = await openEventStream(url, { cookie: await cookieHeader(context) });
      expect(stream.status).toBe(200);
      await stream.next((e) => e.event === "run");
      return { stream, context };
    };

    // jobs:read taken away: `denied`, and the server ends the stream.
    const a = await watch();
    await sql`update team_members set grants = '{}' where user_id = ${user.id}`;
    await a.stream.next((e) => e.event === "denied", 10_000);
    await a.stream.ended;
    await a.context.close();

    // Given back, then the session revoked (signed out elsewhere).
    await sql`update team_members set grants = '{jobs:read}' where user_id = ${user.id}`;
    const b = await watch();
    await moveRun(sql, runId, 4);
    await b.stream.next((e) => e.event === "run" && e.data.includes("batch 4"));
    await sql`update user_sessions set revoked_at = now() where user_id = ${user.id} and revoked_at is null`;
    await b.stream.next((e) => e.event === "denied", 10_000);
    await b.stream.ended;
    await b.context.close();

    // A user disabled by the instance owner.
    const c = await watch();
    await sql`update users set disabled_at = now() where id = ${user.id}`;
    await c.stream.next((e) => e.event === "denied", 10_000);
    await c.stream.ended;
    await c.context.close();
  } finally {
    if (runId) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${runId} and status = 'running'`;
    await sql.end();
  }
});

test("one session opens at most 24 streams, even all at once: the rest are 429 (the page polls instead); closing one, or a client gone before its stream opened, frees its place", async ({ browser }) => {
  const sql = e2eSql();
  let runId = "";
  const user = await createTeamUser(sql, "globex", "member", ["jobs:read"]);
  const context = await signedIn(browser, user.email, user.password);
  const streams: { close: () => void }[] = [];
  try {
    runId = await insertRun(sql);
    const url = `/api/projects/${OUTSIDER_PROJECT}/runs/${runId}/events`;
    const cookie = await cookieHeader(context);
    // Clients that give up before the stream is open (aborted at once) must not keep a place.
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const controller = new AbortController();
        const pending = fetch(new URL(url, process.env.E2E_BASE_URL), { headers: { cookie }, signal: controller.signal }).catch(() => null);
        // Spread over the time the server takes to open a stream, so some go while it is opening.
        setTimeout(() => controller.abort(), i);
        await pending;
      }),
    );
    // 30 at once: the bound is taken as each is checked, so exactly 24 get through.
    const burst = await Promise.all(Array.from({ length: 30 }, () => openEventStream(url, { cookie })));
    streams.push(...burst);
    const open = burst.filter((s) => s.status === 200);
    const refused = burst.filter((s) => s.status === 429);
    expect(open.length).toBe(24);
    expect(refused.length).toBe(6);
    expect(JSON.parse(refused[0]!.body)).toMatchObject({ error: { code: "too_many_streams" } });
    // Closing one frees its place (the hub hears the request abort at once).
    open[0]!.close();
    await expect
      .poll(async () => {
        const s = await openEventStream(url, { cookie });
        streams.push(s);
        return s.status;
      })
      .toBe(200);
  } finally {
    for (const s of streams) s.close();
    await context.close();
    if (runId) await sql`update job_runs set status = 'failed', completed_at = now() where id = ${runId} and status = 'running'`;
    await sql.end();
  }
});
