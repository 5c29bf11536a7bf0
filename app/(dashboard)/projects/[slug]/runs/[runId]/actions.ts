"use server";

import { z } from "zod";
import { ActionRefusal, projectAction } from "@/lib/actions/safe-action";
import { cancelProjectRun } from "@/lib/dal/runs";

const cancelInput = z.object({ projectSlug: z.string(), runId: z.uuid("That is not a run id.") });

/** Cancel a run: pending runs stop at once, running ones at their next cancel check. */
export const cancelRunAction = projectAction("jobs:write", cancelInput, async (input) => {
  const result = await cancelProjectRun(input.projectSlug, input.runId);
  if (result.outcome === "not_found") throw new ActionRefusal("Not found.", { code: "not_found" });
  if (result.outcome === "already_finished") throw new ActionRefusal(`The run already finished (${result.status}).`, { code: "already_finished" });
  return { outcome: result.outcome };
});
