"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { ActionRefusal, projectAction } from "@/lib/actions/safe-action";
import { jobDefinitionForTrigger } from "@/lib/dal/job-types";
import { triggerProjectJob } from "@/lib/dal/runs";
import { readPayloadForm } from "@/lib/jobs/web/form";

const triggerInput = z.object({
  projectSlug: z.string(),
  jobType: z.string().min(1).max(100),
  notify: z.literal("on").optional(),
});

/** Run a job type for the project; on success the browser lands on the new run's page. */
export const triggerRunAction = projectAction("jobs:write", triggerInput, async (input, { form }) => {
  const def = await jobDefinitionForTrigger(input.projectSlug, input.jobType);
  if (!def) throw new ActionRefusal("That job type does not exist.", { code: "unknown_job_type" });
  const outcome = await triggerProjectJob(input.projectSlug, input.jobType, readPayloadForm(def, form), input.notify === "on");
  if (outcome.ok) redirect(`/projects/${input.projectSlug}/runs/${outcome.runId}`);
  if (outcome.code === "already_active") {
    throw new ActionRefusal(outcome.message, { code: "already_active", existingRunId: outcome.existingRunId });
  }
  if (outcome.code === "invalid") throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: outcome.fieldErrors });
  throw new ActionRefusal("That job type cannot be run for a project.", { code: "unknown_job_type" });
});
