import { expect, test } from "./support/test";
import { storageState } from "./support/accounts";

const TOKEN = process.env.METRICS_TOKEN ?? "";

// Signed in: a session is no metrics token.
test.use({ storageState: storageState("admin") });

test("/api/metrics refuses a missing or wrong bearer token, a session, and other schemes, with 401 and no metrics", async ({ page }) => {
  expect(TOKEN).not.toBe("");
  for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${TOKEN}-` }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }]) {
    const response = await page.request.get("/api/metrics", { headers });
    expect(response.status(), JSON.stringify(headers)).toBe(401);
    expect(response.headers()["www-authenticate"]).toContain("Bearer");
    expect(await response.text()).not.toContain("runboard_");
  }
});
