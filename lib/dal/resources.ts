import "server-only";
import { z } from "zod";
import { getDatabase } from "@/lib/db/client";
import type { RunStatus } from "@/lib/db/schema";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { listRunsForResource } from "@/lib/jobs/web/resources";
import { publicErrorMessage } from "@/lib/jobs/redact";
import { requireProjectPermission } from "./access";
import { decodeCursor, encodeCursor } from "./runs";

export const RESOURCE_PAGE_SIZE = 25;

export type ResourceRunItem = {
  id: string;
  jobLabel: string;
  status: RunStatus;
  attempts: number;
  queuedAt: string;
  durationMs: number | null;
  errorMessage: string | null;
};

export type ResourceRunPage = { resource: { type: string; id: string }; rows: ResourceRunItem[]; nextCursor: string | null };

const resourceType = z.string().regex(/^[a-z_]{1,40}$/);

/** Every run of this project that worked on one resource, newest first, a keyset page at a time. */
export async function listProjectResourceRuns(slug: string, type: string, id: string, cursor?: string): Promise<ResourceRunPage | null> {
  const access = await requireProjectPermission(slug, "jobs:read");
  if (!resourceType.safeParse(type).success || !z.uuid().safeParse(id).success) return null;
  const after = decodeCursor(cursor) ?? undefined;
  const rows = await listRunsForResource(getDatabase().db, type, id, RESOURCE_PAGE_SIZE + 1, { projectId: access.project.id, after });
  const page = rows.slice(0, RESOURCE_PAGE_SIZE);
  const last = page.at(-1);
  return {
    resource: { type, id },
    rows: page.map((r) => ({
      id: r.id,
      jobLabel: getJobDefinition(r.jobType)?.label ?? r.jobType,
      status: r.status,
      attempts: r.attemptCount,
      queuedAt: r.queuedAt.toISOString(),
      durationMs: r.startedAt && r.completedAt ? r.completedAt.getTime() - r.startedAt.getTime() : null,
      errorMessage: r.errorMessage === null ? null : access.unredacted ? r.errorMessage : (r.errorMessagePublic ?? publicErrorMessage(r.errorMessage)),
    })),
    nextCursor: rows.length > RESOURCE_PAGE_SIZE && last ? encodeCursor(last.queuedAt, last.id) : null,
  };
}
