"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, managedProjectAction, teamAction, userAction } from "@/lib/actions/safe-action";
import { createProject, deleteProject, renameProject, restoreProject, type ProjectMutation } from "@/lib/dal/projects";
import { createTeam } from "@/lib/dal/teams";
import { displayName } from "@/lib/teams/names";

export type Done = { message: string; slug: string };

/** A refusal becomes the user-facing error (with the run in the way, for a delete). */
function settle<T extends { slug: string }>(result: ProjectMutation<T>, message: (data: T) => string): Done {
  if (!result.ok) throw new ActionRefusal(result.message, { code: result.code, fieldErrors: result.fieldErrors, existingRunId: result.runId });
  revalidatePath("/projects", "layout");
  return { message: message(result.data), slug: result.data.slug };
}

/** Any signed-in person creates a team and owns it. */
export const createTeamAction = userAction(z.object({ name: displayName("team") }), async (input) => {
  const result = await createTeam(input.name);
  if (!result.ok) throw new ActionRefusal(result.message, { code: result.code, fieldErrors: { name: [result.message] } });
  revalidatePath("/projects", "layout");
  return { message: `Team “${result.data.name}” created. Add its first project below.`, slug: result.data.slug };
});

export const createProjectAction = teamAction("team:manage", z.object({ teamSlug: z.string(), name: displayName("project") }), async (input) =>
  settle(await createProject(input.teamSlug, input.name), (p) => `Project “${p.name}” created at /projects/${p.slug}.`),
);

export const renameProjectAction = managedProjectAction(z.object({ projectSlug: z.string(), name: displayName("project") }), async (input) =>
  settle(await renameProject(input.projectSlug, input.name), (p) => `Renamed to “${p.name}”. Its address stays /projects/${p.slug}.`),
);

export const deleteProjectAction = managedProjectAction(z.object({ projectSlug: z.string() }), async (input) =>
  settle(await deleteProject(input.projectSlug), (p) => `“${p.name}” deleted. Restore it until ${p.restoreUntil.replace("T", " ").slice(0, 16)} UTC.`),
);

export const restoreProjectAction = managedProjectAction(z.object({ projectSlug: z.string() }), async (input) =>
  settle(await restoreProject(input.projectSlug), (p) => `“${p.name}” restored.`),
);
