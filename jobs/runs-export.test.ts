import { eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { files } from "@/lib/db/schema";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import demoPaced from "./demo-paced";
import runsExport from "./runs-export";

const database = setupJobTestDatabase();

test("runs_export writes the project's runs, newest first, to a CSV file stored with the project", async () => {
  const { projectId } = await database().project();
  const earlier = await performJob(demoPaced, { items: 1, msPerItem: 10 }, { projectId });
  const run = await performJob(runsExport, { days: 1 }, { projectId });
  expect(run).toMatchObject({ status: "completed", progress: { processed: 2, total: 2 } });
  expect(run.steps.map((s) => `${s.name}:${s.status}`)).toEqual(["count:completed", "store_file:completed", "attempt:completed"]);
  const { fileId, rows } = run.result as { fileId: string; rows: number };
  expect(rows).toBe(2);
  const [file] = await database().database.db.select().from(files).where(eq(files.id, fileId));
  const lines = file!.content.toString("utf8").trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/^run_id,job_type,status,/);
  // The export's own run is in it (running while it wrote), after the earlier, finished one.
  expect(lines.slice(1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual([`${run.id},runs_export,running`, `${earlier.id},demo_paced,completed`]);
  expect(file!.projectId).toBe(projectId);
});
