import { expect, test } from "./support/test";
import { PROJECT, storageState } from "./support/accounts";
import { bearer } from "./support/api-keys";
import { e2eSql } from "./support/db";

test.use({ storageState: storageState("admin") });

test("an admin creates a key, sees it once, uses it against /api/v1, and revokes it", async ({ page, request }) => {
  const name = `deploy agent ${Date.now()}`;
  await page.goto("/teams/acme/settings/api-keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expect(page.getByRole("link", { name: "← Team settings" })).toHaveAttribute("href", "/teams/acme/settings");
  await page.getByLabel("Key name").fill(name);
  // Both scopes are ticked by default.
  await expect(page.getByRole("checkbox", { name: "jobs:read" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "jobs:write" })).toBeChecked();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("status")).toContainText("it will not be shown again");
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  expect(key).toMatch(/^rb_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{40,}$/);
  const prefix = key.slice(3, 11);
  await expect(page.getByRole("button", { name: "Copy key" })).toBeVisible();

  // Only the hash is stored, and the key never shows again.
  const sql = e2eSql();
  try {
    const [row] = await sql<{ key_hash: string; scopes: string[] }[]>`select key_hash, scopes from api_keys where prefix = ${prefix}`;
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.key_hash).not.toContain(key.slice(12));
    expect(row!.scopes.sort()).toEqual(["jobs:read", "jobs:write"]);
    await page.reload();
    const keyRow = page.getByTestId(`api-key-${prefix}`);
    await expect(keyRow).toContainText(name);
    await expect(keyRow).toContainText(`rb_${prefix}_…`);
    await expect(keyRow).toContainText("by Ada Admin");
    await expect(keyRow).toContainText("never");
    expect(await page.content()).not.toContain(key.slice(12));

    // The key works through the API...
    const projects = await request.get("/api/v1/projects", { headers: bearer(key) });
    expect(projects.status()).toBe(200);
    expect(JSON.stringify(await projects.json())).toContain(PROJECT);
    await page.reload();
    await expect(keyRow.getByRole("time").last()).toContainText(/s ago|m ago/);

    // ...until it is revoked: the next request is refused.
    page.once("dialog", (dialog) => void dialog.accept());
    await keyRow.getByRole("button", { name: `Revoke ${name}` }).click();
    await expect(page.getByTestId(`revoked-key-${prefix}`)).toBeVisible();
    await expect(page.getByTestId(`api-key-${prefix}`)).toHaveCount(0);
    expect((await request.get("/api/v1/projects", { headers: bearer(key) })).status()).toBe(401);

    const audit = await sql<{ action: string }[]>`select action from audit_events where details->>'prefix' = ${prefix} order by created_at`;
    expect(audit.map((a) => a.action)).toEqual(["api_key.created", "api_key.revoked"]);
  } finally {
    await sql.end();
  }
});

test("a key needs a name and at least one scope", async ({ page }) => {
  await page.goto("/teams/acme/settings/api-keys");
  await page.getByLabel("Key name").fill("no scopes");
  await page.getByRole("checkbox", { name: "jobs:read" }).uncheck();
  await page.getByRole("checkbox", { name: "jobs:write" }).uncheck();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByText("Choose at least one scope.")).toBeVisible();
  await expect(page.getByTestId("new-api-key")).toHaveCount(0);
});
