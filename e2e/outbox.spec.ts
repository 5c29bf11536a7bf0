import { randomBytes } from "node:crypto";
import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";
import { e2eSql } from "./support/db";

test.use({ storageState: storageState("support") });

test("support pages through the outbox, filters by status, and is told why messages stay unsent", async ({ page }) => {
  const sql = e2eSql();
  const tag = randomBytes(4).toString("hex");
  try {
    await sql`
      insert into notifications (kind, to_email, subject, body_text, status, attempts, last_error, created_at)
      select 'run_finished', ${`ops-${tag}@example.test`}, ${`Outbox ${tag} #`} || i, 'body',
        case when i = 1 then 'failed' else 'unsent' end, case when i = 1 then 3 else 0 end,
        case when i = 1 then 'SMTP 550 mailbox unavailable' end, now() + make_interval(secs => i)
      from generate_series(1, 30) i`;
    await page.goto("/outbox");
    await expect(page.getByRole("heading", { name: "Outbox" })).toBeVisible();
    await expect(page.getByRole("status")).toContainText("SMTP_URL");
    const rows = page.getByTestId("outbox-row");
    await expect(rows).toHaveCount(25);
    // Newest first: the planted ones are in the future, #30 the newest.
    await expect(rows.first()).toContainText(`Outbox ${tag} #30`);
    await expect(rows.first()).toContainText("unsent");

    await page.getByRole("link", { name: "Older messages" }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(rows.filter({ hasText: `Outbox ${tag} #1` }).filter({ hasText: "failed" })).toBeVisible();
    await expect(rows.filter({ hasText: `Outbox ${tag} #1` })).toContainText("SMTP 550 mailbox unavailable");

    await page.getByRole("link", { name: "failed", exact: true }).click();
    await expect(page).toHaveURL(/status=failed/);
    await expect(page.getByRole("link", { name: "failed", exact: true })).toHaveAttribute("aria-current", "page");
    await expect(rows.first()).toContainText(`Outbox ${tag} #1`);
    for (const status of await rows.locator("td:nth-child(2)").allTextContents()) expect(status).toBe("failed");
  } finally {
    await sql.end();
  }
});
