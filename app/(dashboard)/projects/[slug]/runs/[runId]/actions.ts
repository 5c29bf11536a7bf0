"use server";

import { z } from "zod";
import { ActionRefusal, projectAction } from "@/lib/actions/safe-action";
import { cancelProjectRun, redriveProjectRun, retryNowProjectRun } from "@/lib/dal/runs";
import { notWaitingReason } from "@/lib/jobs/web/retry-now";

const runInput = z.object({ projectSlug: z.string(), runId: z.uuid("That is not a run id.") });

/** Cancel a run: pending runs stop at once, running ones at their next cancel check. */
export const cancelRunAction = projectAction("jobs:write", runInput, async (input): Promise<{ outcome: string }> => {
  const result = await cancelProjectRun(input.projectSlug, input.runId);
  if (result.outcome === "not_found") throw new ActionRefusal("Not found.", { code: "not_found" });
  if (result.outcome === "already_finished") throw new ActionRefusal(`The run already finished (${result.status}).`, { code: "already_finished" });
  return { outcome: result.outcome };
});

/** Re-drive a dead-lettered or failed run (jobs:write or support; the DAL checks which). */
export const redriveRunAction = projectAction("jobs:read", runInput, async (input): Promise<{ outcome: string }> => {
  const result = await redriveProjectRun(input.projectSlug, input.runId);
  if (result.ok) return { outcome: "redriven" };
  if (result.code === "already_active") {
    throw new ActionRefusal(`${result.message} Re-drive this run when that one ends.`, { code: "already_active", existingRunId: result.existingRunId });
  }
  if (result.code === "not_redrivable") throw new ActionRefusal("Only failed or dead-lettered runs can be re-driven.", { code: "not_redrivable" });
  throw new ActionRefusal("Not found.", { code: "not_found" });
});

/** Start a pending retry now instead of after its backoff (jobs:write). */
export const retryNowRunAction = projectAction("jobs:write", runInput, async (input): Promise<{ outcome: string }> => {
  const result = await retryNowProjectRun(input.projectSlug, input.runId);
  if (result.ok) return { outcome: "retry_now" };
  if (result.code === "not_found") throw new ActionRefusal("Not found.", { code: "not_found" });
  throw new ActionRefusal(notWaitingReason(result), { code: "not_waiting_for_retry" });
});
