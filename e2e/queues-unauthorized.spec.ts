import { allowConsoleError, expect, NOT_FOUND_PAGE, test, type Browser, type Page } from "./support/test";
import { storageState, type Role } from "./support/accounts";
import { captureServerAction, replayServerAction, type CapturedAction } from "./support/actions";
import { e2eSql } from "./support/db";
import { ensureQueuesProject, QUEUES_PROJECT } from "./support/queues";

test.beforeAll(ensureQueuesProject);

async function pageAs(browser: Browser, role: Role): Promise<Page> {
  return (await browser.newContext({ storageState: storageState(role) })).newPage();
}

/** The admin's real "Pause" request for the project's demo_paced, stopped before the server. */
async function capturePause(browser: Browser): Promise<CapturedAction> {
  const admin = await pageAs(browser, "admin");
  await admin.goto(`/projects/${QUEUES_PROJECT}/queues`);
  const card = admin.getByTestId("queue-demo_paced");
  const action = await captureServerAction(admin, () => card.getByRole("button", { name: /^(Pause|Resume) Demo: paced run$/ }).click());
  await admin.context().close();
  return action;
}

/** Audit events of queue controls by this user: a refused change writes none. */
async function controlEventsBy(email: string): Promise<number> {
  const sql = e2eSql();
  try {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from audit_events a join users u on u.id = a.actor_user_id where a.action = 'queue.control_changed' and u.email = ${email}`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

test("a member with jobs:read sees the project's queues but cannot pause: no button, and a replayed pause is refused", async ({ browser }) => {
  const member = await pageAs(browser, "member");
  await member.goto(`/projects/${QUEUES_PROJECT}/queues`);
  await expect(member.getByTestId("queue-demo_paced")).toBeVisible();
  await expect(member.getByRole("button", { name: /Pause/ })).toHaveCount(0);
  await expect(member.getByText("needs the jobs:write permission")).toBeVisible();

  const action = await capturePause(browser);
  const reply = await replayServerAction(member.request, action);
  expect(reply.text).toContain("You do not have permission to do that.");
  expect(await controlEventsBy("member@runboard.local")).toBe(0);
  await member.context().close();
});

test("another team cannot see the project's queues nor pause them", async ({ browser }) => {
  const outsider = await pageAs(browser, "outsider");
  allowConsoleError(NOT_FOUND_PAGE); // the outsider gets the 404 page
  const page = await outsider.goto(`/projects/${QUEUES_PROJECT}/queues`);
  expect(page?.status()).toBe(404);
  expect((await outsider.request.get(`/api/projects/${QUEUES_PROJECT}/queues`)).status()).toBe(404);

  const reply = await replayServerAction(outsider.request, await capturePause(browser));
  expect(reply.text).toContain("Not found.");
  expect(await controlEventsBy("outsider@globex.test")).toBe(0);
  await outsider.context().close();
});

test("tenants cannot see or touch the instance's queues (system job types); support reads them but cannot change them", async ({ browser, request }) => {
  // Five roles' pages and replays in one story: over a minute on a loaded machine.
  test.setTimeout(150_000);
  // Signed out: the poll refuses.
  expect((await request.get("/api/queues")).status()).toBe(401);

  // The owner's real instance-wide pause of a system job type, captured before it is sent.
  const owner = await browser.newPage();
  await owner.goto("/sign-in");
  await owner.getByLabel("Email").fill("owner@runboard.local");
  await owner.getByLabel("Password").fill("runboard-owner");
  await owner.getByRole("button", { name: "Sign in" }).click();
  await expect(owner.getByRole("heading", { name: "Projects" })).toBeVisible();
  await owner.goto("/queues");
  const system = owner.getByTestId("queue-notification_delivery");
  await expect(system.getByTestId("queue-badges")).toContainText("System");
  const action = await captureServerAction(owner, () => system.getByRole("button", { name: "Pause Notification delivery" }).click());
  await owner.context().close();

  allowConsoleError(NOT_FOUND_PAGE); // /queues is a 404 page to each tenant
  for (const role of ["admin", "member", "outsider"] as const) {
    const tenant = await pageAs(browser, role);
    expect((await tenant.goto("/queues"))?.status()).toBe(404);
    await expect(tenant.getByRole("link", { name: "Queues", exact: true })).toHaveCount(0);
    expect((await tenant.request.get("/api/queues")).status()).toBe(404);
    const reply = await replayServerAction(tenant.request, action);
    expect(reply.text).toContain("Not found.");
    await tenant.context().close();
  }

  // A project action naming a system job type is refused too (not the project's to control).
  const admin = await pageAs(browser, "admin");
  const pause = await capturePause(browser);
  const forged = { ...pause, body: Buffer.from(pause.body.toString("latin1").replaceAll("demo_paced", "notification_delivery"), "latin1") };
  expect((await replayServerAction(admin.request, forged)).text).toContain("Not found.");
  await admin.context().close();

  const support = await pageAs(browser, "support");
  await support.goto("/queues");
  await expect(support.getByTestId("queue-notification_delivery")).toBeVisible();
  await expect(support.getByRole("button", { name: /Pause/ })).toHaveCount(0);
  expect((await replayServerAction(support.request, action)).text).toContain("Not found.");
  await support.context().close();

  const sql = e2eSql();
  try {
    // Nothing above changed any control of a system job type.
    expect(await sql`select 1 from job_type_controls where job_type = 'notification_delivery'`).toHaveLength(0);
  } finally {
    await sql.end();
  }
});
