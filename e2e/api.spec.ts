import { randomUUID } from "node:crypto";
import { expect, test, type APIRequestContext } from "./support/test";
import type postgres from "postgres";
import { ACCOUNTS, OUTSIDER_PROJECT, PROJECT } from "./support/accounts";
import { bearer, ensureProject, insertApiKey, type TestKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { createTeamUser } from "./support/users";

// The /api/v1 contract against the real server and worker, with real keys.
const API_PROJECT = "acme-api";
// Fresh per run: the list test counts every run of the project.
const LIST_PROJECT = `acme-api-list-${Date.now().toString(36)}`;
const SECRET = "postgres://runboard:hunter2-planted@db.internal:5432/app";

let sql: postgres.Sql;
let admin: TestKey;
let apiProjectId: string;
let listProjectId: string;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  sql = e2eSql();
  apiProjectId = await ensureProject(sql, "acme", API_PROJECT);
  listProjectId = await ensureProject(sql, "acme", LIST_PROJECT);
  admin = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
});

test.afterAll(async () => {
  await sql.end();
});

type Run = { id: string; status: string; terminal: boolean; progress: { processed: number | null; total: number | null; percent: number | null }; error: { message: string; stack: string | null; reference: string } | null };

async function waitForTerminal(request: APIRequestContext, key: string, project: string, runId: string): Promise<Run> {
  let run: Run | null = null;
  await expect
    .poll(
      async () => {
        const response = await request.get(`/api/v1/projects/${project}/runs/${runId}`, { headers: bearer(key) });
        expect(response.status()).toBe(200);
        run = (await response.json()) as Run;
        return run.terminal;
      },
      { timeout: 30_000, intervals: [250] },
    )
    .toBe(true);
  return run!;
}

async function insertRun(projectId: string, values: { status: string; jobType?: string; error?: unknown; queuedAt?: Date }): Promise<string> {
  const id = randomUUID();
  const jobType = values.jobType ?? "demo_paced";
  await sql`
    insert into job_runs (id, team_id, project_id, job_type, status, attempt_count, max_attempts, payload, error, error_message, exclusive_key, queued_at, started_at, completed_at)
    select ${id}, team_id, id, ${jobType}, ${values.status}, 1, 1, ${sql.json({ items: 2, msPerItem: 10 })}, ${values.error ? sql.json(values.error as postgres.JSONValue) : null},
      ${values.error ? "planted" : null}, ${`${projectId}:${jobType}`}, ${values.queuedAt ?? new Date()}, now(), now()
    from projects where id = ${projectId}`;
  return id;
}

test("the OpenAPI document is generated from the server's schemas", async ({ request }) => {
  const response = await request.get("/api/v1/openapi.json");
  expect(response.status()).toBe(200);
  const doc = await response.json();
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(["/projects", "/projects/{slug}/job-types", "/projects/{slug}/runs", "/projects/{slug}/runs/{runId}", "/projects/{slug}/runs/{runId}/cancel", "/projects/{slug}/runs/{runId}/retry"]),
  );
  expect(doc.paths["/projects/{slug}/runs"].post.responses).toHaveProperty("409");
  expect(doc.components.schemas.Error.properties.error.properties).toHaveProperty("existingRunId");
  // The job type's payload schema comes from the catalog's zod schema.
  const demo = doc.components.schemas.Trigger_demo_paced;
  expect(demo.properties.payload.properties.items).toMatchObject({ type: "integer", minimum: 1, maximum: 1000, default: 20 });
  expect(doc.components.schemas.Trigger_contacts_import.properties.payload.properties.fileId.properties).toHaveProperty("content");
  expect(doc.paths["/projects/{slug}/runs"].get.parameters.map((p: { name: string }) => p.name)).toEqual(["slug", "status", "jobType", "triggeredBy", "from", "to", "resourceType", "resourceId", "q", "sort", "cursor", "limit"]);
});

test("401 without a key, with a malformed or unknown key, and with a revoked key", async ({ request }) => {
  const noKey = await request.get("/api/v1/projects");
  expect(noKey.status()).toBe(401);
  expect(noKey.headers()["www-authenticate"]).toContain("Bearer");
  expect(await noKey.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
  for (const header of ["Bearer nope", `Bearer rb_abcdefgh_${"x".repeat(43)}`, `Basic ${admin.key}`]) {
    const response = await request.get("/api/v1/projects", { headers: { Authorization: header } });
    expect(response.status(), header).toBe(401);
  }
  const doomed = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
  expect((await request.get("/api/v1/projects", { headers: bearer(doomed.key) })).status()).toBe(200);
  await sql`update api_keys set revoked_at = now() where id = ${doomed.id}`;
  const revoked = await request.get("/api/v1/projects", { headers: bearer(doomed.key) });
  expect(revoked.status()).toBe(401);
  expect((await revoked.json()).error.message).toContain("revoked");
});

test("a key sees its own team's projects and nothing of another team (404)", async ({ request }) => {
  const response = await request.get("/api/v1/projects", { headers: bearer(admin.key) });
  expect(response.status()).toBe(200);
  const slugs = ((await response.json()).projects as { slug: string }[]).map((p) => p.slug);
  expect(slugs).toEqual(expect.arrayContaining([PROJECT, API_PROJECT]));
  expect(slugs).not.toContain(OUTSIDER_PROJECT);

  const globexRun = await insertRun((await sql<{ id: string }[]>`select id from projects where slug = ${OUTSIDER_PROJECT}`)[0]!.id, { status: "failed" });
  for (const [method, path] of [
    ["GET", `/api/v1/projects/${OUTSIDER_PROJECT}/job-types`],
    ["GET", `/api/v1/projects/${OUTSIDER_PROJECT}/runs`],
    ["GET", `/api/v1/projects/${OUTSIDER_PROJECT}/runs/${globexRun}`],
    ["POST", `/api/v1/projects/${OUTSIDER_PROJECT}/runs/${globexRun}/cancel`],
    ["POST", `/api/v1/projects/${OUTSIDER_PROJECT}/runs/${globexRun}/retry`],
    // Another team's run through one of our own projects is just as unknown.
    ["GET", `/api/v1/projects/${API_PROJECT}/runs/${globexRun}`],
    ["POST", `/api/v1/projects/${API_PROJECT}/runs/${globexRun}/retry`],
    ["GET", `/api/v1/projects/no-such-project/runs`],
    ["GET", `/api/v1/projects/${API_PROJECT}/runs/not-a-uuid`],
    ["GET", `/api/v1/nothing-here`],
  ] as const) {
    const r = method === "GET" ? await request.get(path, { headers: bearer(admin.key) }) : await request.post(path, { headers: bearer(admin.key) });
    expect(r.status(), path).toBe(404);
    expect((await r.json()).error.code, path).toBe("not_found");
  }
  const posted = await request.post(`/api/v1/projects/${OUTSIDER_PROJECT}/runs`, { headers: bearer(admin.key), data: { jobType: "demo_paced" } });
  expect(posted.status()).toBe(404);
  expect((await sql`select 1 from job_runs where project_id = (select id from projects where slug = ${OUTSIDER_PROJECT}) and status = 'pending'`).length).toBe(0);
  // The outsider's own key sees its project, and the Globex run stays untouched.
  expect((await sql<{ status: string }[]>`select status from job_runs where id = ${globexRun}`)[0]!.status).toBe("failed");
});

test("job types list the project's types with their payload schemas", async ({ request }) => {
  const response = await request.get(`/api/v1/projects/${API_PROJECT}/job-types`, { headers: bearer(admin.key) });
  expect(response.status()).toBe(200);
  const { jobTypes } = await response.json();
  const names = jobTypes.map((t: { name: string }) => t.name);
  expect(names).toEqual(expect.arrayContaining(["demo_paced", "runs_export", "contacts_import"]));
  expect(names).not.toContain("db_pruning"); // system jobs are not part of the API
  const demo = jobTypes.find((t: { name: string }) => t.name === "demo_paced");
  expect(demo.payloadSchema.properties.msPerItem).toMatchObject({ type: "integer", default: 250 });
});

test("trigger: 201 with the run, 409 with the existing run, then it completes with progress; the audit names the key", async ({ request }) => {
  const created = await request.post(`/api/v1/projects/${API_PROJECT}/runs`, { headers: bearer(admin.key), data: { jobType: "demo_paced", payload: { items: 8, msPerItem: 200 } } });
  expect(created.status()).toBe(201);
  const run = await created.json();
  expect(run).toMatchObject({ jobType: "demo_paced", projectSlug: API_PROJECT, terminal: false, payload: { items: 8, msPerItem: 200 }, triggeredBy: "Ada Admin" });
  expect(created.headers()["location"]).toBe(`/api/v1/projects/${API_PROJECT}/runs/${run.id}`);

  const again = await request.post(`/api/v1/projects/${API_PROJECT}/runs`, { headers: bearer(admin.key), data: { jobType: "demo_paced" } });
  expect(again.status()).toBe(409);
  expect(await again.json()).toEqual({ error: { code: "already_active", message: "Demo: paced run is already running for this project.", existingRunId: run.id, overlap: "project" } });

  const done = await waitForTerminal(request, admin.key, API_PROJECT, run.id);
  expect(done.status).toBe("completed");
  expect(done.progress).toMatchObject({ processed: 8, total: 8, percent: 100 });

  const [audit] = await sql<{ actor_api_key_id: string | null; actor_user_id: string | null }[]>`select actor_api_key_id, actor_user_id from audit_events where run_id = ${run.id} and action = 'run.triggered'`;
  expect(audit!.actor_api_key_id).toBe(admin.id);
  expect(audit!.actor_user_id).not.toBeNull();
  const [key] = await sql<{ last_used_at: Date | null }[]>`select last_used_at from api_keys where id = ${admin.id}`;
  expect(key!.last_used_at).not.toBeNull();
});

test("422 with field errors for bad payloads, bodies and queries; 400 for broken JSON; never a 500", async ({ request }) => {
  const imports = async () => (await sql<{ n: number }[]>`select count(*)::int as n from job_runs where project_id = ${apiProjectId} and job_type = 'contacts_import'`)[0]!.n;
  const importsBefore = await imports();
  const post = (data: unknown) => request.post(`/api/v1/projects/${API_PROJECT}/runs`, { headers: { ...bearer(admin.key), "Content-Type": "application/json" }, data: typeof data === "string" ? data : JSON.stringify(data) });
  const cases: [unknown, string][] = [
    [{ jobType: "demo_paced", payload: { items: 0 } }, "payload.items"],
    [{ jobType: "demo_paced", payload: { items: "many" } }, "payload.items"],
    [{ jobType: "no_such_type" }, "jobType"],
    [{ jobType: "db_pruning" }, "jobType"],
    [{ payload: {} }, "jobType"],
    [{ jobType: "demo_paced", payload: [1, 2] }, "payload"],
    [{ jobType: "demo_paced", notify: "yes" }, "notify"],
    [{ jobType: "contacts_import", payload: {} }, "payload.fileId"],
    [{ jobType: "contacts_import", payload: { fileId: "0000" } }, "payload.fileId"],
    [{ jobType: "contacts_import", payload: { fileId: { content: "%%%", encoding: "base64" } } }, "payload.fileId.content"],
    [[1, 2, 3], "body"],
  ];
  for (const [body, field] of cases) {
    const response = await post(body);
    expect(response.status(), JSON.stringify(body)).toBe(422);
    const { error } = await response.json();
    expect(error.code).toBe("invalid");
    expect(Object.keys(error.fieldErrors), JSON.stringify(body)).toContain(field);
  }
  // A Buffer, so the client sends the broken text as it is.
  const broken = await request.post(`/api/v1/projects/${API_PROJECT}/runs`, { headers: { ...bearer(admin.key), "Content-Type": "application/json" }, data: Buffer.from("{not json") });
  expect(broken.status()).toBe(400);
  expect((await broken.json()).error.code).toBe("bad_request");
  const badQuery = await request.get(`/api/v1/projects/${API_PROJECT}/runs?status=running,exploded`, { headers: bearer(admin.key) });
  expect(badQuery.status()).toBe(422);
  expect((await badQuery.json()).error.fieldErrors.status[0]).toContain("exploded");
  const badCursor = await request.get(`/api/v1/projects/${API_PROJECT}/runs?cursor=not-a-cursor`, { headers: bearer(admin.key) });
  expect(badCursor.status()).toBe(422);
  expect(Object.keys((await badCursor.json()).error.fieldErrors)).toEqual(["cursor"]);
  expect(await imports()).toBe(importsBefore);
});

test("a contacts import takes its file inline and runs", async ({ request }) => {
  const csv = "email,name\nann@example.com,Ann\nbob@example.com,Bob\nnot-an-email,Nobody\n";
  const response = await request.post(`/api/v1/projects/${API_PROJECT}/runs`, {
    headers: bearer(admin.key),
    data: { jobType: "contacts_import", payload: { fileId: { name: "contacts.csv", content: Buffer.from(csv).toString("base64"), encoding: "base64" } } },
  });
  expect(response.status()).toBe(201);
  const run = await response.json();
  const done = await waitForTerminal(request, admin.key, API_PROJECT, run.id);
  expect(done.status).toBe("completed");
  expect(done.progress.processed).toBe(3);
});

test("413 for a body over the limit, before it is stored", async ({ request }) => {
  const huge = JSON.stringify({ jobType: "contacts_import", payload: { fileId: { content: "a".repeat(15 * 1024 * 1024) } } });
  const response = await request.post(`/api/v1/projects/${API_PROJECT}/runs`, { headers: { ...bearer(admin.key), "Content-Type": "application/json" }, data: huge });
  expect(response.status()).toBe(413);
  expect((await response.json()).error.code).toBe("payload_too_large");
});

test("403 when the key lacks the scope", async ({ request }) => {
  const reader = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, scopes: ["jobs:read"] });
  const writer = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email, scopes: ["jobs:write"] });
  const failed = await insertRun(apiProjectId, { status: "failed", queuedAt: new Date(Date.now() - 3600_000) });
  expect((await request.get(`/api/v1/projects/${API_PROJECT}/runs`, { headers: bearer(reader.key) })).status()).toBe(200);
  for (const path of [`/api/v1/projects/${API_PROJECT}/runs`, `/api/v1/projects/${API_PROJECT}/runs/${failed}/cancel`, `/api/v1/projects/${API_PROJECT}/runs/${failed}/retry`]) {
    const r = await request.post(path, { headers: bearer(reader.key), data: { jobType: "demo_paced" } });
    expect(r.status(), path).toBe(403);
    expect((await r.json()).error.code).toBe("forbidden");
  }
  const readByWriter = await request.get(`/api/v1/projects/${API_PROJECT}/runs/${failed}`, { headers: bearer(writer.key) });
  expect(readByWriter.status()).toBe(403);
  expect((await sql<{ status: string }[]>`select status from job_runs where id = ${failed}`)[0]!.status).toBe("failed");
});

test("list runs: filters and a keyset cursor that pages without gaps or repeats", async ({ request }) => {
  const base = Date.now() - 86_400_000;
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) ids.push(await insertRun(listProjectId, { status: i % 3 === 0 ? "failed" : "completed", jobType: i % 2 === 0 ? "demo_paced" : "runs_export", queuedAt: new Date(base + i * 1000) }));
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const response = await request.get(`/api/v1/projects/${LIST_PROJECT}/runs${query}`, { headers: bearer(admin.key) });
    expect(response.status()).toBe(200);
    const page = (await response.json()) as { runs: { id: string }[]; nextCursor: string | null };
    seen.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 5);
  expect(pages).toBe(2);
  expect(seen).toEqual([...ids].reverse());

  const failed = await request.get(`/api/v1/projects/${LIST_PROJECT}/runs?status=failed`, { headers: bearer(admin.key) });
  const failedRuns = (await failed.json()).runs as { id: string; status: string }[];
  expect(failedRuns.length).toBe(10);
  expect(failedRuns.every((r) => r.status === "failed")).toBe(true);
  const both = await request.get(`/api/v1/projects/${LIST_PROJECT}/runs?status=failed,completed&jobType=runs_export`, { headers: bearer(admin.key) });
  const bothRuns = (await both.json()).runs as { jobType: string }[];
  expect(bothRuns.length).toBe(15);
  expect(bothRuns.every((r) => r.jobType === "runs_export")).toBe(true);
});

test("cancel a running run, then cancelling it again is a 409", async ({ request }) => {
  const project = await ensureProject(sql, "acme", "acme-api-cancel");
  void project;
  const created = await request.post(`/api/v1/projects/acme-api-cancel/runs`, { headers: bearer(admin.key), data: { jobType: "demo_paced", payload: { items: 200, msPerItem: 100 } } });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const cancel = await request.post(`/api/v1/projects/acme-api-cancel/runs/${id}/cancel`, { headers: bearer(admin.key) });
  expect(cancel.status()).toBe(200);
  expect(["cancelled", "cancelling"]).toContain((await cancel.json()).outcome);
  const done = await waitForTerminal(request, admin.key, "acme-api-cancel", id);
  expect(done.status).toBe("cancelled");
  const again = await request.post(`/api/v1/projects/acme-api-cancel/runs/${id}/cancel`, { headers: bearer(admin.key) });
  expect(again.status()).toBe(409);
  expect((await again.json()).error.code).toBe("not_cancellable");
});

test("cancels racing the end of their runs: every 'cancelling' ends cancelled, every 409 names the status the run ended with", async ({ request }) => {
  test.setTimeout(90_000);
  await ensureProject(sql, "acme", "acme-api-cancel-race");
  // A key of its own: its rate limit bucket is not shared with the other tests'.
  const racer = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
  const statusOf = async (id: string) => (await sql<{ status: string }[]>`select status from job_runs where id = ${id}`)[0]?.status;
  const answers: number[] = [];
  for (let round = 0; round < 12; round++) {
    const created = await request.post(`/api/v1/projects/acme-api-cancel-race/runs`, { headers: bearer(racer.key), data: { jobType: "demo_paced", payload: { items: 2, msPerItem: 40 } } });
    expect(created.status()).toBe(201);
    const { id } = await created.json();
    await expect.poll(() => statusOf(id), { timeout: 15_000, intervals: [20] }).not.toBe("pending");
    // Around the moment the handler returns.
    await new Promise((r) => setTimeout(r, Math.random() * 200));
    const cancel = await request.post(`/api/v1/projects/acme-api-cancel-race/runs/${id}/cancel`, { headers: bearer(racer.key) });
    const body = await cancel.json();
    await expect.poll(() => statusOf(id), { timeout: 15_000, intervals: [50] }).toMatch(/^(completed|failed|cancelled|dead_letter)$/);
    const final = await statusOf(id);
    answers.push(cancel.status());
    if (cancel.status() === 409) expect(body.error.message).toContain(`(${final})`);
    else expect([cancel.status(), body.outcome, final]).toEqual([200, body.outcome, "cancelled"]);
  }
  expect(answers.every((s) => s === 200 || s === 409)).toBe(true);
});

test("retry re-drives a failed run to completion; a completed run is not retryable (409)", async ({ request }) => {
  const retryProject = await ensureProject(sql, "acme", "acme-api-retry");
  const failed = await insertRun(retryProject, { status: "failed" });
  const retried = await request.post(`/api/v1/projects/acme-api-retry/runs/${failed}/retry`, { headers: bearer(admin.key) });
  expect(retried.status()).toBe(200);
  // Pending again (the worker may already have picked it up).
  expect(["pending", "running", "completed"]).toContain((await retried.json()).status);
  const done = await waitForTerminal(request, admin.key, "acme-api-retry", failed);
  expect(done.status).toBe("completed");
  const again = await request.post(`/api/v1/projects/acme-api-retry/runs/${failed}/retry`, { headers: bearer(admin.key) });
  expect(again.status()).toBe(409);
  expect((await again.json()).error.code).toBe("not_retryable");
  const [audit] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where run_id = ${failed} and action = 'run.retried' and actor_api_key_id = ${admin.id}`;
  expect(audit!.n).toBe(1);
});

test("a key acts for a team member, never for an instance role: support's own key is redacted and stops when support leaves the team", async ({ request }) => {
  const runId = await insertRun(apiProjectId, {
    status: "dead_letter",
    queuedAt: new Date(Date.now() - 7200_000),
    error: { message: `connect failed: ${SECRET}`, type: "infrastructure", source: "database", subType: "connection", severity: 2, retryable: true, stack: `Error: connect failed\n    at ${SECRET}` },
  });
  const tenant = await request.get(`/api/v1/projects/${API_PROJECT}/runs/${runId}`, { headers: bearer(admin.key) });
  const tenantText = await tenant.text();
  expect(tenant.status()).toBe(200);
  expect(tenantText).not.toContain("hunter2-planted");
  const tenantRun = JSON.parse(tenantText) as Run;
  expect(tenantRun.error!.stack).toBeNull();
  expect(tenantRun.error!.reference).toMatch(/^ERR-/);

  // Instance support who is also an Acme admin makes a key: it sees what an Acme admin sees.
  const agent = await createTeamUser(sql, "acme", "admin");
  await sql`update users set instance_role = 'support' where id = ${agent.id}`;
  const supportKey = await insertApiKey(sql, { team: "acme", createdBy: agent.email, scopes: ["jobs:read"] });
  const run = await request.get(`/api/v1/projects/${API_PROJECT}/runs/${runId}`, { headers: bearer(supportKey.key) });
  expect(run.status()).toBe(200);
  const runText = await run.text();
  expect(runText).not.toContain("hunter2-planted");
  expect((JSON.parse(runText) as Run).error!.stack).toBeNull();
  const list = await request.get(`/api/v1/projects/${API_PROJECT}/runs?status=dead_letter`, { headers: bearer(supportKey.key) });
  expect(list.status()).toBe(200);
  expect(await list.text()).not.toContain("hunter2-planted");
  // Support's reach into every team does not travel with the key: Globex stays not found.
  expect((await request.get(`/api/v1/projects/${OUTSIDER_PROJECT}/runs`, { headers: bearer(supportKey.key) })).status()).toBe(404);

  // Removed from Acme, the creator is support still, but their key stops everywhere.
  await sql`delete from team_members where user_id = ${agent.id}`;
  for (const path of ["/api/v1/projects", `/api/v1/projects/${API_PROJECT}/runs`, `/api/v1/projects/${API_PROJECT}/runs/${runId}`]) {
    expect((await request.get(path, { headers: bearer(supportKey.key) })).status(), path).toBe(401);
  }
  // The seeded support account is in no team: a key it made never worked.
  const outsiderSupportKey = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.support.email, scopes: ["jobs:read"] });
  expect((await request.get("/api/v1/projects", { headers: bearer(outsiderSupportKey.key) })).status()).toBe(401);
});

test("429 with Retry-After once a key spends its burst; other keys are unaffected", async ({ request }) => {
  const hasty = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
  const responses = await Promise.all(Array.from({ length: 80 }, () => request.get("/api/v1/projects", { headers: bearer(hasty.key) })));
  const statuses = responses.map((r) => r.status());
  expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(60);
  const limited = responses.find((r) => r.status() === 429);
  expect(limited, `statuses: ${statuses.join(",")}`).toBeDefined();
  expect(Number(limited!.headers()["retry-after"])).toBeGreaterThanOrEqual(1);
  expect((await limited!.json()).error.code).toBe("rate_limited");
  expect((await request.get("/api/v1/projects", { headers: bearer(admin.key) })).status()).toBe(200);
});
