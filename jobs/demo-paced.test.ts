import { expect, test } from "vitest";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import demoPaced from "./demo-paced";

setupJobTestDatabase();

test("demo_paced steps through its items with progress, a warm-up step and its result", async () => {
  const run = await performJob(demoPaced, { items: 4, msPerItem: 10 });
  expect(run).toMatchObject({ status: "completed", attempts: 1, result: { processed: 4 }, progress: { processed: 4, total: 4, percent: 100, message: "Item 4 of 4" }, stage: "stepping" });
  expect(run.steps.map((s) => `${s.name}:${s.status}`)).toEqual(["warm_up:completed", "attempt:completed"]);
});

test("demo_paced stops when the run is cancelled", async () => {
  const run = await performJob(demoPaced, { items: 1000, msPerItem: 20 }, { cancelAfterMs: 300 });
  expect(run.status).toBe("cancelled");
  expect(run.cancelRequested).toBe(true);
  expect(run.progress.processed).toBeGreaterThan(0);
  expect(run.progress.processed).toBeLessThan(1000);
});

test("demo_paced refuses more items than its form allows", async () => {
  await expect(performJob(demoPaced, { items: 1001 })).rejects.toThrow(/items/);
});
