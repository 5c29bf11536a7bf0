"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { ActionRefusal, projectAction } from "@/lib/actions/safe-action";
import { jobDefinitionForTrigger } from "@/lib/dal/job-types";
import { triggerProjectJob } from "@/lib/dal/runs";
import { readPayloadForm } from "@/lib/jobs/web/form";
import { runAtSchema, runInMinutesSchema } from "@/lib/runs/run-at";

const triggerInput = z
  .object({
    projectSlug: z.string(),
    jobType: z.string().min(1).max(100),
    notify: z.literal("on").optional(),
    // When: now, at a time (the form sends it as ISO with the browser's offset), or in N minutes.
    when: z.enum(["now", "at", "in"]).default("now"),
    runAt: z.string().max(64).optional(),
    runInMinutes: z.string().max(16).optional(),
  })
  .transform((input, ctx) => {
    const raw = input.when === "at" ? input.runAt : input.when === "in" ? input.runInMinutes : undefined;
    const path = input.when === "at" ? "runAt" : "runInMinutes";
    if (input.when !== "now" && !raw?.trim()) {
      ctx.addIssue({ code: "custom", path: [path], message: input.when === "at" ? "Choose a date and time." : "Enter a number of minutes." });
      return z.NEVER;
    }
    const at = input.when === "at" ? runAtSchema.safeParse(raw) : input.when === "in" ? runInMinutesSchema.safeParse(raw) : null;
    if (at && !at.success) {
      ctx.addIssue({ code: "custom", path: [path], message: at.error.issues.at(-1)?.message ?? "Not a valid time." });
      return z.NEVER;
    }
    return { ...input, runAt: at?.data ?? null };
  });

/** Run a job type for the project; on success the browser lands on the new run's page. */
export const triggerRunAction = projectAction("jobs:write", triggerInput, async (input, { form }) => {
  const def = await jobDefinitionForTrigger(input.projectSlug, input.jobType);
  if (!def) throw new ActionRefusal("That job type does not exist.", { code: "unknown_job_type" });
  const outcome = await triggerProjectJob(input.projectSlug, input.jobType, readPayloadForm(def, form), input.notify === "on", { runAt: input.runAt });
  if (outcome.ok) redirect(`/projects/${input.projectSlug}/runs/${outcome.runId}`);
  if (outcome.code === "already_active") {
    throw new ActionRefusal(outcome.message, { code: "already_active", existingRunId: outcome.existingRunId });
  }
  if (outcome.code === "invalid") throw new ActionRefusal("Please correct the highlighted fields.", { code: "invalid", fieldErrors: outcome.fieldErrors });
  throw new ActionRefusal("That job type cannot be run for a project.", { code: "unknown_job_type" });
});
