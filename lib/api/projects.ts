import "server-only";
import type { ProjectMutation } from "@/lib/dal/projects";
import { errorResponse, json } from "./handler";

/** A project mutation's outcome as HTTP: 2xx with the project, or the refusal's status and reason. */
export function projectResponse<T>(outcome: ProjectMutation<T>, status = 200): Response {
  if (outcome.ok) return json({ project: outcome.data }, status);
  switch (outcome.code) {
    case "invalid":
      return errorResponse(422, "invalid", outcome.message, { fieldErrors: outcome.fieldErrors });
    case "forbidden":
      return errorResponse(403, "forbidden", outcome.message);
    case "active_run":
      return errorResponse(409, "already_active", outcome.message, outcome.runId ? { existingRunId: outcome.runId } : {});
    default:
      // duplicate, too_many, unchanged, deleted, already_deleted, not_deleted, expired
      return errorResponse(409, "conflict", outcome.message, outcome.fieldErrors ? { fieldErrors: outcome.fieldErrors } : {});
  }
}
