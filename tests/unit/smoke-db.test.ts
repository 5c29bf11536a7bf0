import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());

test("a test database has our tables and pg-boss's queues", async () => {
  const queues = await t.sql<{ name: string }[]>`select name from pgboss.queue order by name`;
  expect(queues.map((q) => q.name)).toContain("demo_paced");
});
