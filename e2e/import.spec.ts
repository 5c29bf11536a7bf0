import { expect, test } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

test.use({ storageState: storageState("admin") });

test.describe.configure({ mode: "serial" });

test("importing a CSV reports imported and skipped rows", async ({ page }) => {
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-contacts_import");
  await card.getByLabel("File (CSV or JSON)").setInputFiles({
    name: "contacts.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("email,name\nada@example.com,Ada\nbroken,Nope\ngrace@example.com,Grace\n"),
  });
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\//);
  await expect(page.locator("[data-status=completed]")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("progress-counts")).toContainText("3 / 3 processed · Imported 2, 1 skipped");
  await expect(page.getByRole("region", { name: "Payload and result" })).toContainText('"skipped": 1');
});

test("a failing job shows its error, classified, without internals for a tenant", async ({ page }) => {
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-contacts_import");
  await card.getByLabel("File (CSV or JSON)").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from("name,phone\nAda,123\n") });
  await card.getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/runs\//);
  await expect(page.locator("[data-status=failed]")).toBeVisible({ timeout: 20_000 });
  const error = page.getByRole("alert").filter({ hasText: "Error" });
  await expect(page.getByTestId("run-error")).toContainText('The CSV header has no "email" column (found: name, phone)');
  // The taxonomy, each part labelled.
  for (const [label, value] of [["Type", "validation_error"], ["Source", "handler"], ["Sub-type", "file_format_invalid"], ["Severity", "2 of 5"], ["Retryable", "no"]]) {
    await expect(error.locator("dt").filter({ hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]")).toHaveText(value!);
  }
  await expect(error.getByTestId("error-reference")).toHaveText(/^ERR-[0-9A-F]{8}$/);
  await expect(error.locator("pre")).toHaveCount(0);
  // Nothing of the stack reaches the tenant in any form: not the HTML with its RSC payload, not the poll JSON.
  expect(await page.content()).not.toContain("readRecords");
  const api = await page.request.get(`/api/projects/${PROJECT}${new URL(page.url()).pathname.replace(`/projects/${PROJECT}`, "")}`);
  const json = (await api.json()) as { error: { stack: string | null; reference: string } };
  expect(json.error.stack).toBeNull();
  expect(JSON.stringify(json)).not.toContain("readRecords");
});

test("submitting without a file is refused with a field message and creates nothing", async ({ page }) => {
  const sql = e2eSql();
  // This project's imports and files only: other spec files run alongside in other projects.
  const count = async () =>
    (await sql<{ n: number }[]>`
      select (select count(*) from job_runs r join projects p on p.id = r.project_id where p.slug = ${PROJECT} and r.job_type = 'contacts_import')
           + (select count(*) from files f join projects p on p.id = f.project_id where p.slug = ${PROJECT}) as n`)[0]!.n;
  const before = await count();
  await page.goto(`/projects/${PROJECT}/jobs`);
  const card = page.getByTestId("job-type-contacts_import");
  // Bypass the browser's own required check to reach the server's validation.
  await card.getByLabel("File (CSV or JSON)").evaluate((el) => el.removeAttribute("required"));
  await card.getByRole("button", { name: "Run" }).click();
  await expect(card.getByText("Choose a file to upload.")).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/projects/${PROJECT}/jobs$`));
  expect(await count()).toBe(before);
  await sql.end();
});
