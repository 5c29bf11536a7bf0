"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { projectAction, userAction } from "@/lib/actions/safe-action";
import { BULK_MAX, bulkRuns, summarizeBulk, type BulkOutcome, type BulkResult } from "@/lib/dal/history";

const ids = z
  .string()
  .max(BULK_MAX * 40)
  .transform((s) => s.split(",").filter(Boolean))
  .pipe(z.array(z.uuid()).min(1, "Select at least one run.").max(BULK_MAX, `Select at most ${BULK_MAX} runs.`));
const bulkInput = z.object({ kind: z.enum(["cancel", "retry"]), runIds: ids });

export type BulkActionData = { results: BulkResult; summary: Record<BulkOutcome, number> };

/** Project history: jobs:write on the project (the wrapper), then every run checked in the DAL. */
export const bulkProjectRunsAction = projectAction("jobs:write", bulkInput.extend({ projectSlug: z.string() }), async (input): Promise<BulkActionData> => {
  const results = await bulkRuns({ project: input.projectSlug }, input.kind, input.runIds);
  revalidatePath(`/projects/${input.projectSlug}/runs`);
  return { results, summary: summarizeBulk(results) };
});

/** Monitor: runs of several projects; the DAL groups them and checks jobs:write per project. */
export const bulkMonitorRunsAction = userAction(bulkInput, async (input): Promise<BulkActionData> => {
  const results = await bulkRuns("monitor", input.kind, input.runIds);
  revalidatePath("/runs");
  return { results, summary: summarizeBulk(results) };
});
