import { randomUUID } from "node:crypto";
import { expect, test } from "./support/test";
import { e2eSql } from "./support/db";
import { createTeamUser, signedIn } from "./support/users";

test("a copied session cookie stops working once its owner signs out", async ({ browser }) => {
  const sql = e2eSql();
  const me = await createTeamUser(sql, "acme", "admin");
  await sql.end();
  const mine = await signedIn(browser, me.email, me.password);
  // Someone copies the cookie into another browser: it works, as the real one does.
  const thief = await browser.newContext();
  await thief.addCookies(await mine.cookies());
  const stolen = await thief.newPage();
  await stolen.goto("/projects");
  await expect(stolen.getByRole("heading", { name: "Projects" })).toBeVisible();
  const poll = `/api/projects/acme-app/runs/${randomUUID()}`;
  expect((await thief.request.get(poll)).status()).toBe(404);

  const page = await mine.newPage();
  await page.goto("/projects");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);

  // The copy still carries a well-signed cookie, but its session row is revoked.
  const cookies = await thief.cookies();
  expect(cookies.some((c) => c.name.endsWith("authjs.session-token"))).toBe(true);
  await stolen.goto("/projects");
  await expect(stolen).toHaveURL(/\/sign-in/);
  await stolen.goto("/account");
  await expect(stolen).toHaveURL(/\/sign-in/);
  expect((await thief.request.get(poll)).status()).toBe(401);
  await Promise.all([mine.close(), thief.close()]);
});

test("only an intact session cookie signs a request in: not the token as a Bearer header, not a tampered or junk cookie", async ({ browser, playwright, baseURL }) => {
  const sql = e2eSql();
  const me = await createTeamUser(sql, "acme", "admin");
  await sql.end();
  const mine = await signedIn(browser, me.email, me.password);
  const session = (await mine.cookies()).find((c) => c.name.endsWith("authjs.session-token"))!;
  const poll = `/api/projects/acme-app/runs/${randomUUID()}`;
  // The real cookie works (404: a run id that names nothing, after the session and access checks).
  expect((await mine.request.get(poll)).status()).toBe(404);

  const bare = await playwright.request.newContext({ baseURL });
  const tampered = `${session.value.slice(0, -4)}${session.value.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
  const attempts: Record<string, string>[] = [
    { authorization: `Bearer ${session.value}` },
    { cookie: `${session.name}=${tampered}` },
    { cookie: `${session.name}=not-a-token` },
    { cookie: `${session.name}=${"x".repeat(4000)}` },
    { cookie: `${session.name}=${session.value.replace(/\./g, "")}` },
  ];
  for (const headers of attempts) {
    expect((await bare.get(poll, { headers })).status(), JSON.stringify(Object.keys(headers))).toBe(401);
    expect((await bare.get("/account", { headers, maxRedirects: 0 })).status()).toBe(307);
  }
  await Promise.all([bare.dispose(), mine.close()]);
});
