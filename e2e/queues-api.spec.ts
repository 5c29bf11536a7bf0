import { expect, test } from "./support/test";
import { bearer, ensureProject, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";

const PROJECT = "acme-queues-api";

test("the API reads a project's queues and pauses or limits its job types, within the key's scopes and team", async ({ request }) => {
  const sql = e2eSql();
  try {
    const projectId = await ensureProject(sql, "acme", PROJECT);
    const reader = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local", scopes: ["jobs:read"] });
    const writer = await insertApiKey(sql, { team: "acme", createdBy: "admin@runboard.local" });
    const outsider = await insertApiKey(sql, { team: "globex", createdBy: "outsider@globex.test" });
    const url = `/api/v1/projects/${PROJECT}/queues`;

    const read = await request.get(url, { headers: bearer(reader.key) });
    expect(read.status()).toBe(200);
    const view = (await read.json()) as { rows: { jobType: string; pending: number; control: { paused: boolean } }[] };
    expect(view.rows.map((r) => r.jobType)).toContain("demo_paced");
    expect(view.rows.map((r) => r.jobType)).not.toContain("notification_delivery");

    // A read-only key cannot change anything; nor can another team's key see the project.
    expect((await request.patch(`${url}/demo_paced`, { headers: bearer(reader.key), data: { paused: true } })).status()).toBe(403);
    expect((await request.get(url, { headers: bearer(outsider.key) })).status()).toBe(404);
    expect((await request.patch(`${url}/demo_paced`, { headers: bearer(outsider.key), data: { paused: true } })).status()).toBe(404);
    // System job types are not the project's; bad input says what is wrong.
    expect((await request.patch(`${url}/notification_delivery`, { headers: bearer(writer.key), data: { paused: true } })).status()).toBe(404);
    const bad = await request.patch(`${url}/demo_paced`, { headers: bearer(writer.key), data: { concurrencyLimit: 0 } });
    expect(bad.status()).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain("concurrencyLimit");
    expect(await sql`select 1 from job_type_controls where project_id = ${projectId}`).toHaveLength(0);

    const paused = await request.patch(`${url}/demo_paced`, { headers: bearer(writer.key), data: { paused: true, concurrencyLimit: 3 } });
    expect(paused.status()).toBe(200);
    expect(await paused.json()).toEqual({ paused: true, concurrencyLimit: 3 });
    const after = (await (await request.get(url, { headers: bearer(reader.key) })).json()) as typeof view;
    expect(after.rows.find((r) => r.jobType === "demo_paced")?.control).toEqual({ paused: true, concurrencyLimit: 3 });
    // Audited with the key that did it.
    const [event] = await sql<{ actor_api_key_id: string }[]>`
      select actor_api_key_id from audit_events where action = 'queue.control_changed' and details->>'projectSlug' = ${PROJECT}`;
    expect(event?.actor_api_key_id).toBe(writer.id);
  } finally {
    await sql.end();
  }
});
