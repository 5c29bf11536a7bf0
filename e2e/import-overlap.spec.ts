import { expect, test, type Page } from "./support/test";
import { storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

// A project of its own in team Acme: this spec's imports hold only its own slots.
const SLUG = "acme-imports";
const sql = e2eSql();

test.use({ storageState: storageState("admin") });

test.beforeAll(async () => {
  await sql`
    insert into projects (team_id, slug, name) select id, ${SLUG}, 'Acme Imports' from teams where slug = 'acme'
    on conflict (slug) do update set name = excluded.name`;
  await sql`delete from job_runs where project_id = (select id from projects where slug = ${SLUG})`;
});
test.afterAll(() => sql.end());

/** A CSV big enough (15,000 rows) that its import runs for seconds; emails differ per file, so imports never touch the same rows. */
function bigCsv(tag: string): Buffer {
  const rows = Array.from({ length: 15_000 }, (_, i) => `${tag}-${i}@example.com,Person ${i}`);
  return Buffer.from(`email,name\n${rows.join("\n")}\n`);
}

async function readyToImport(page: Page, name: string, buffer: Buffer) {
  await page.goto(`/projects/${SLUG}/jobs`);
  const card = page.getByTestId("job-type-contacts_import");
  await card.getByLabel("File (CSV or JSON)").setInputFiles({ name, mimeType: "text/csv", buffer });
  return card;
}

test("two different files import at once; the same file again, while it imports, is refused with the per-file rule", async ({ browser }) => {
  test.setTimeout(120_000);
  const a = bigCsv("a");
  const b = bigCsv("b");
  const pages = await Promise.all(Array.from({ length: 3 }, () => browser.newContext({ storageState: storageState("admin") }).then((c) => c.newPage())));
  // a.csv twice and b.csv once, submitted together: the forms are filled first so the clicks land close.
  const cards = [await readyToImport(pages[0]!, "a.csv", a), await readyToImport(pages[1]!, "b.csv", b), await readyToImport(pages[2]!, "a.csv", a)];
  await Promise.all(cards.map((card) => card.getByRole("button", { name: "Run" }).click()));

  // b.csv started its run; of the two a.csv submissions one started a run and the other was refused.
  await expect(pages[1]!).toHaveURL(/\/runs\//, { timeout: 20_000 });
  const outcome = async (i: 0 | 2) => {
    const page = pages[i]!;
    await expect(page.getByTestId("job-type-contacts_import").getByRole("alert").or(page.locator("[data-status]")).first()).toBeVisible({ timeout: 20_000 });
    return /\/runs\//.test(page.url()) ? "run" : "refused";
  };
  const outcomes = [await outcome(0), await outcome(2)];
  expect(outcomes.sort()).toEqual(["refused", "run"]);
  const refused = /\/runs\//.test(pages[0]!.url()) ? pages[2]! : pages[0]!;
  const alert = refused.getByTestId("job-type-contacts_import").getByRole("alert");
  await expect(alert).toContainText("Import contacts is already running for this file: one run at a time per file.");
  await alert.getByRole("link", { name: "View the running run" }).click();
  await expect(refused).toHaveURL(/\/runs\//);

  // Both imports complete, and they ran at the same time.
  for (const page of pages.filter((p) => /\/runs\//.test(p.url()))) await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 60_000 });
  const runs = await sql<{ name: string; started_at: Date; completed_at: Date }[]>`
    select f.name, r.started_at, r.completed_at from job_runs r
    join projects p on p.id = r.project_id join files f on f.id = r.resource_id::uuid
    where p.slug = ${SLUG} and r.job_type = 'contacts_import'
    order by f.name`;
  expect(runs.map((r) => r.name)).toEqual(["a.csv", "b.csv"]);
  const [ra, rb] = runs;
  expect(ra!.started_at.getTime()).toBeLessThan(rb!.completed_at.getTime());
  expect(rb!.started_at.getTime()).toBeLessThan(ra!.completed_at.getTime());
  for (const page of pages) await page.context().close();
});
