import { randomBytes, createHash } from "node:crypto";
import { allowConsoleError, expect, test, type Page } from "./support/test";
import bcrypt from "bcryptjs";
import { limitKey } from "@/lib/security/throttle";
import { ACCOUNTS, PROJECT, storageState } from "./support/accounts";
import { bearer, insertApiKey } from "./support/api-keys";
import { e2eSql } from "./support/db";
import { seedAcmeMember } from "./support/team";

const sql = e2eSql();
test.afterAll(() => sql.end());

/** The form's own message (Next's route announcer is an alert too). */
const formAlert = (page: Page) => page.locator("form").getByRole("alert");

/** Click and wait for the server action's answer, so the next attempt is not typed into a pending form. */
async function submitAndWait(page: Page, button: string): Promise<void> {
  // Before hydration the form posts natively (no Next-Action header), so any POST is the answer.
  const answered = page.waitForResponse((r) => r.request().method() === "POST");
  await page.getByRole("button", { name: button }).click();
  await answered;
}

/** React resets the form once an action's answer is applied; typing before that would be wiped. */
const formSettled = (page: Page) => expect(page.getByLabel("Password")).toHaveValue("");

async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await formSettled(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await submitAndWait(page, "Sign in");
}

test("a sign-in whose request never gets an answer says so on the form and keeps the email, instead of the error page", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto("/sign-in");
    // The server action's POST is lost on the way (network, server gone).
    await page.route("**/sign-in", (route) => (route.request().method() === "POST" ? route.abort() : route.continue()));
    allowConsoleError(/net::ERR_FAILED|Failed to fetch/);
    await page.getByLabel("Email").fill(ACCOUNTS.admin.email);
    await page.getByLabel("Password").fill(ACCOUNTS.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(formAlert(page)).toContainText("Runboard could not be reached");
    await expect(page.getByLabel("Email")).toHaveValue(ACCOUNTS.admin.email);
    await expect(page.getByRole("heading", { name: "Something went wrong" })).toHaveCount(0);
    // Once the network is back the same form signs in.
    await page.unroute("**/sign-in");
    await page.getByLabel("Password").fill(ACCOUNTS.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  } finally {
    await context.close();
  }
});

test("six wrong passwords for an account: the sixth and then the right password get 'try again in N s'", async ({ page }) => {
  const victim = await seedAcmeMember(sql, "Throttle Victim");
  await page.goto("/sign-in");
  for (let i = 0; i < 5; i++) {
    await submitSignIn(page, victim.email, `wrong-${i}`);
    await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  }
  await submitSignIn(page, victim.email, "wrong-5");
  await expect(formAlert(page)).toHaveText(/^Too many attempts\. Try again in \d+ s\.$/);
  const seconds = Number((await formAlert(page).textContent())!.match(/\d+/)![0]);
  expect(seconds).toBeGreaterThan(60);

  // The right password waits too (the limit is checked before the password).
  await submitSignIn(page, victim.email, victim.password);
  await expect(formAlert(page)).toHaveText(/^Too many attempts\. Try again in \d+ s\.$/);
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await page.context().cookies()).some((c) => c.name.includes("session-token"))).toBe(false);

  // Only that account waits: another person at the same address signs in.
  const neighbour = await seedAcmeMember(sql, "Throttle Neighbour");
  await page.goto("/sign-in");
  await submitSignIn(page, neighbour.email, neighbour.password);
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
});

test("the limit also holds for a direct POST to Auth.js's credentials callback", async ({ request }) => {
  const victim = await seedAcmeMember(sql, "Direct Victim");
  const post = async (password: string) => {
    const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const response = await request.post("/api/auth/callback/credentials", { form: { email: victim.email, password, csrfToken }, maxRedirects: 0 });
    return response.headers()["location"] ?? "";
  };
  for (let i = 0; i < 5; i++) expect(await post(`wrong-${i}`)).toContain("error=CredentialsSignin");
  expect(await post(victim.password)).toContain("code=throttled");
});

test("the client address is the TCP peer: spoofed X-Forwarded-For and peer headers are ignored", async ({ browser, baseURL }) => {
  const spoofed = "203.0.113.77";
  const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "X-Forwarded-For": spoofed, "X-Runboard-Peer": spoofed } });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await submitSignIn(page, `nobody-${randomBytes(4).toString("hex")}@example.test`, "wrong");
  await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  const keys = (await sql<{ key: string }[]>`select key from rate_limits where key = any(${[limitKey("sign-in-address", spoofed), limitKey("sign-in-address", "127.0.0.1")]})`).map((r) => r.key);
  expect(keys).toEqual([limitKey("sign-in-address", "127.0.0.1")]);
  await context.close();
});

test("an invite link takes five wrong passwords, then 'try again in N s'", async ({ page }) => {
  const email = `invitee-${randomBytes(4).toString("hex")}@example.test`;
  await sql`insert into users (email, name, password_hash) values (${email}, 'Invitee', ${await bcrypt.hash("the-right-password", 4)})`;
  const token = randomBytes(24).toString("base64url");
  await sql`
    insert into team_invites (team_id, email, role, token_hash, invited_by, expires_at)
    select t.id, ${email}, 'member', ${createHash("sha256").update(token).digest("hex")}, u.id, now() + interval '1 day'
    from teams t, users u where t.slug = 'acme' and u.email = ${ACCOUNTS.admin.email}`;
  await page.goto(`/invite/${token}`);
  for (let i = 0; i < 5; i++) {
    await formSettled(page);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await submitAndWait(page, "Sign in and join");
    await expect(formAlert(page)).toHaveText("That password does not match the account for this email.");
  }
  await formSettled(page);
  await page.getByLabel("Password").fill("the-right-password");
  await submitAndWait(page, "Sign in and join");
  await expect(formAlert(page)).toHaveText(/^Too many attempts\. Try again in \d+ s\.$/);
  const [member] = await sql`select 1 from team_members m join users u on u.id = m.user_id where u.email = ${email}`;
  expect(member).toBeUndefined();
});

test("after sign-in, a callbackUrl leading off the site lands on /projects instead", async ({ browser, baseURL }) => {
  const user = await seedAcmeMember(sql, "Redirect Tester");
  const origin = new URL(baseURL!).origin;
  const variants = ["/\\example.invalid/x", "//example.invalid/x", "/%2F%2Fexample.invalid", "/%5Cexample.invalid", "/%09/example.invalid", "https://example.invalid/x", "/..//example.invalid"];
  for (const variant of variants) {
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    await page.goto(`/sign-in?callbackUrl=${encodeURIComponent(variant)}`);
    await submitSignIn(page, user.email, user.password);
    await expect(page.getByRole("heading", { name: "Projects" }), variant).toBeVisible();
    expect(new URL(page.url()).origin, variant).toBe(origin);
    expect(new URL(page.url()).pathname, variant).toBe("/projects");
    await context.close();
  }
  // A path of our own is still honoured.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto(`/sign-in?callbackUrl=${encodeURIComponent("/runs?status=failed")}`);
  await submitSignIn(page, user.email, user.password);
  await expect(page).toHaveURL(`${origin}/runs?status=failed`);
  await context.close();
});

test("Auth.js's own callback refuses an off-site callbackUrl too", async ({ request, baseURL }) => {
  const user = await seedAcmeMember(sql, "Callback Tester");
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const response = await request.post("/api/auth/callback/credentials", { form: { email: user.email, password: user.password, csrfToken, callbackUrl: "/\\example.invalid/x" }, maxRedirects: 0 });
  const location = new URL(response.headers()["location"]!, baseURL);
  // Auth.js names this server "localhost" or by its address; either way it is us, on /projects.
  expect(["127.0.0.1", "localhost"]).toContain(location.hostname);
  expect(location.port).toBe(new URL(baseURL!).port);
  expect(location.pathname).toBe("/projects");
});

test("security headers on a page and on API answers", async ({ request }) => {
  const page = await request.get("/sign-in");
  const headers = page.headers();
  const csp = headers["content-security-policy"]!;
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"]) expect(csp).toContain(directive);
  expect(csp).not.toContain("unsafe-eval");
  // A fresh nonce on every view.
  expect((await request.get("/sign-in")).headers()["content-security-policy"]).not.toBe(csp);

  const key = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
  for (const answer of [await request.get("/api/v1/projects", { headers: bearer(key.key) }), await request.get("/api/v1/projects"), await request.get("/api/v1/openapi.json")]) {
    const h = answer.headers();
    expect(h["content-security-policy"]).toContain("default-src 'none'");
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
  }
  for (const h of [headers, (await request.get("/api/v1/projects")).headers()]) {
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(h["permissions-policy"]).toContain("camera=()");
    expect(h["x-frame-options"]).toBe("DENY");
  }
});

test("the API's per-key limit lives in Postgres: a bucket spent elsewhere answers 429 here", async ({ request }) => {
  const key = await insertApiKey(sql, { team: "acme", createdBy: ACCOUNTS.admin.email });
  expect((await request.get("/api/v1/projects", { headers: bearer(key.key) })).status()).toBe(200);
  // As another web process would leave it after spending the whole burst.
  await sql`update rate_limits set tat = now() + interval '10 minutes' where key = ${limitKey("api-key", key.id)}`;
  const limited = await request.get("/api/v1/projects", { headers: bearer(key.key) });
  expect(limited.status()).toBe(429);
  expect(Number(limited.headers()["retry-after"])).toBeGreaterThan(60);
  expect((await limited.json()).error.code).toBe("rate_limited");
});

test.describe("no page breaks its Content-Security-Policy", () => {
  test.use({ storageState: storageState("admin") });

  test("main pages load, hydrate and log no CSP violation", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
      localStorage.setItem("runboard-theme", "dark");
    });
    const [run] = await sql<{ id: string }[]>`select r.id from job_runs r join projects p on p.id = r.project_id where p.slug = ${PROJECT} order by r.queued_at desc limit 1`;
    const pages = [
      "/projects",
      `/projects/${PROJECT}/jobs`,
      `/projects/${PROJECT}/runs`,
      `/projects/${PROJECT}/insights`,
      "/runs",
      "/teams/acme/settings",
      "/teams/acme/settings/api-keys",
      "/teams/acme/settings/audit",
      ...(run ? [`/projects/${PROJECT}/runs/${run.id}`] : []),
    ];
    for (const path of pages) {
      await page.goto(path);
      await page.waitForLoadState("load");
      // The inline theme script ran (it carries the nonce) ...
      await expect(page.locator("html"), path).toHaveClass(/dark/);
    }
    // ... and React hydrated: client navigation works without a full load.
    await page.goto("/projects");
    await page.getByRole("link", { name: /Acme App/ }).first().click();
    await expect(page).toHaveURL(new RegExp(`/projects/${PROJECT}`));
    expect(violations).toEqual([]);
  });
});

test("the sign-in page logs no CSP violation either", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/sign-in");
  await page.waitForLoadState("load");
  // Hydrated: the form's action runs client-side and answers in place.
  await submitSignIn(page, `nobody-${randomBytes(4).toString("hex")}@example.test`, "wrong");
  await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  expect(violations).toEqual([]);
  await context.close();
});

test("password-reset emails for one address: three an hour, then 'try again in N s'", async ({ page }) => {
  const email = `reset-${randomBytes(4).toString("hex")}@example.test`;
  for (let i = 0; i < 3; i++) {
    await page.goto("/forgot-password");
    await page.getByLabel("Email").fill(email);
    await submitAndWait(page, "Email me a reset link");
    await expect(page.getByRole("status")).toContainText("If");
  }
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill(email);
  await submitAndWait(page, "Email me a reset link");
  await expect(formAlert(page)).toHaveText(/^Too many attempts\. Try again in \d+ s\.$/);
});
