import { allowConsoleError, expect, test } from "./support/test";
import type postgres from "postgres";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { captureServerAction, replayServerAction } from "./support/actions";
import { bearer, ensureProject, insertApiKey, type TestKey } from "./support/api-keys";
import { e2eSql } from "./support/db";

/**
 * NUL characters and malformed percent-escapes, in paths, queries, JSON bodies and upload names:
 * always a 4xx, never a 500, and nothing is written. (Postgres refuses NUL in text; Next.js fails
 * on `%ZZ` while decoding route parameters.)
 */
const HOSTILE_PROJECT = "acme-hostile";
const RUN_ID = "9819267a-11a8-446b-8b46-7005b1ed6b17";

let sql: postgres.Sql;
let key: TestKey;

test.beforeAll(async () => {
  sql = e2eSql();
  await ensureProject(sql, "acme", HOSTILE_PROJECT);
  key = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
});
test.afterAll(async () => {
  await sql.end();
});

/** Runs, files and audit events of the project: what a refused request must leave as it was. */
async function footprint(): Promise<string> {
  const [row] = await sql<{ runs: number; files: number; audit: number }[]>`
    select (select count(*)::int from job_runs r join projects p on p.id = r.project_id where p.slug = ${HOSTILE_PROJECT}) as runs,
           (select count(*)::int from files f join projects p on p.id = f.project_id where p.slug = ${HOSTILE_PROJECT}) as files,
           (select count(*)::int from audit_events where action = 'run.triggered' and details->>'jobType' = 'contacts_import'
              and run_id in (select r.id from job_runs r join projects p on p.id = r.project_id where p.slug = ${HOSTILE_PROJECT})) as audit`;
  return JSON.stringify(row);
}

test.describe("signed in", () => {
  test.use({ storageState: storageState("admin") });

  test("pages and session routes answer 400 for a NUL or a malformed escape in the address", async ({ page }) => {
    for (const path of [
      "/runs?q=ab%00",
      `/projects/${PROJECT}/runs?q=ab%00`,
      `/projects/${PROJECT}/runs?cursor=%00`,
      "/projects/acme%00app/jobs",
      "/projects/%ZZ/jobs",
      `/projects/${PROJECT}/runs/%ZZ`,
      `/projects/${PROJECT}/resources/contacts/%ZZ`,
      "/teams/%ZZ/settings",
      "/invite/%ZZ",
      `/api/projects/${PROJECT}/runs/%ZZ`,
      `/api/projects/acme%00app/runs/${RUN_ID}`,
      `/api/projects/${PROJECT}/files/%ZZ`,
      `/api/projects/acme%00app/files/${RUN_ID}`,
      `/api/projects/%E0%A4%A/runs/${RUN_ID}`,
    ]) {
      const response = await page.request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(400);
      const text = await response.text();
      expect(text, path).toMatch(/malformed percent-escape|control character|NUL character/);
    }
    // The page itself says what is wrong (Chromium logs the 400 it loads).
    allowConsoleError(/%ZZ\/jobs: Failed to load resource: the server responded with a status of 400 \(Bad Request\)/);
    await page.goto("/projects/%ZZ/jobs");
    await expect(page.getByText("The address contains a malformed percent-escape.")).toBeVisible();
    // Well-formed look-alikes still work: an encoded percent sign, and an unknown id is a 404.
    expect((await page.request.get(`/projects/${PROJECT}/runs?q=100%25`)).status()).toBe(200);
    expect((await page.request.get(`/projects/${PROJECT}/runs/not-a-run`)).status()).toBe(404);
  });

  test("an upload whose file name holds a NUL is refused with a field message and creates nothing", async ({ page }) => {
    const before = await footprint();
    await page.goto(`/projects/${HOSTILE_PROJECT}/jobs`);
    const card = page.getByTestId("job-type-contacts_import");
    await card.getByLabel("File (CSV or JSON)").setInputFiles({ name: "contacts.csv", mimeType: "text/csv", buffer: Buffer.from("email\nnul@example.com\n") });
    const action = await captureServerAction(page, () => card.getByRole("button", { name: "Run" }).click());
    // The same request with a NUL in the file name, sent as a hand-made client can: in the
    // RFC 5987 form the multipart parser decodes. (A raw NUL byte in the part header never reaches
    // the app: Next.js's parser refuses it first.)
    const body = Buffer.from(action.body.toString("latin1").replace('filename="contacts.csv"', "filename*=UTF-8''cont%00acts.csv"), "latin1");
    expect(body.includes(Buffer.from("filename*=UTF-8''cont%00acts.csv"))).toBe(true);
    const reply = await replayServerAction(page.request, { ...action, body });
    expect(reply.status).toBeLessThan(500);
    expect(reply.text).toContain("NUL character");
    expect(await footprint()).toBe(before);
  });
});

test.describe("API", () => {
  test("NUL in a query, a path or a JSON body is a 4xx in the API's error shape; nothing is written", async ({ request }) => {
    const before = await footprint();
    for (const path of [`/api/v1/projects/${HOSTILE_PROJECT}/runs?q=ab%00`, "/api/v1/projects/acme%00app/runs", "/api/v1/projects/acme-app/runs/%ZZ", "/api/v1/projects/%ZZ/job-types"]) {
      const response = await request.get(path, { headers: bearer(key.key) });
      expect(response.status(), path).toBe(400);
      expect(await response.json(), path).toMatchObject({ error: { code: "bad_request" } });
    }
    const post = (data: unknown) => request.post(`/api/v1/projects/${HOSTILE_PROJECT}/runs`, { headers: { ...bearer(key.key), "Content-Type": "application/json" }, data: JSON.stringify(data) });
    const cases: [unknown, string][] = [
      [{ jobType: "contacts_import", payload: { fileId: { name: "a\u0000.csv", content: "email\nx@example.com\n" } } }, "payload.fileId.name"],
      [{ jobType: "contacts_import", payload: { fileId: { name: "a.csv", contentType: "text/csv\u0000", content: "email\n" } } }, "payload.fileId.contentType"],
      [{ jobType: "demo\u0000paced" }, "jobType"],
      [{ jobType: "runs_export", payload: { days: 1, note: "x\u0000" } }, "payload.note"],
    ];
    for (const [data, field] of cases) {
      const response = await post(data);
      expect(response.status(), field).toBe(422);
      expect(await response.json(), field).toMatchObject({ error: { code: "invalid", fieldErrors: { [field]: ["Must not contain a NUL character (\\u0000)."] } } });
    }
    expect(await footprint()).toBe(before);
  });
});
