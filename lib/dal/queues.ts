import "server-only";
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { recordAudit } from "@/lib/audit";
import { canInstance } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { getJobDefinition, projectJobDefinitions, systemJobDefinitions } from "@/lib/jobs/catalog";
import { setControl, type Control } from "@/lib/jobs/queue-controls";
import { QUEUE_COUNT_CAP, readQueueStats, THROUGHPUT_WINDOW_MINUTES, type QueueStatsRow as Row } from "@/lib/jobs/queue-stats";
import type { JobDefinition } from "@/lib/jobs/define";
import { AccessError, actorOf, requireProjectPermission } from "./access";
import { requireInstancePermission } from "./instance";
import { sharedRead, sharedReads } from "./shared-read";

export type QueueControlView = { paused: boolean; concurrencyLimit: number | null };

export type QueueRow = {
  jobType: string;
  label: string;
  scope: "project" | "system";
  /** Due and not started (held runs included). */
  pending: number;
  /** Waiting for their next attempt's time. */
  retrying: number;
  running: number;
  failed24h: number;
  deadLetter24h: number;
  /** Seconds since the oldest due pending run became due; null when none waits. */
  oldestPendingSeconds: number | null;
  /** Over the last THROUGHPUT_WINDOW_MINUTES. */
  finishedPerMinute: number;
  /** Live workers that serve the job type. */
  workers: number;
  /** This view's own control (the project's, or the instance-wide one) and the one above it. */
  control: QueueControlView;
  instanceControl: QueueControlView | null;
};

export type QueuesView = {
  scope: { kind: "project"; slug: string; name: string; canControl: boolean } | { kind: "instance"; canControl: boolean };
  rows: QueueRow[];
  countCap: number;
  /** Changes whenever anything shown changes: the poll's ETag. */
  version: string;
};

function toView(def: JobDefinition, r: Row, projectScope: boolean): QueueRow {
  const control = { paused: r.paused ?? false, concurrencyLimit: r.concurrency_limit };
  // In the instance view the row's own control is the instance-wide one.
  const instanceControl = projectScope ? (r.instance_paused === null ? null : { paused: r.instance_paused, concurrencyLimit: r.instance_limit }) : null;
  return {
    jobType: r.job_type,
    label: def.label,
    scope: def.scope,
    pending: r.pending,
    retrying: r.retrying,
    running: r.running,
    failed24h: r.failed,
    deadLetter24h: r.dead_letter,
    oldestPendingSeconds: r.oldest_due === null ? null : Math.max(0, Math.round(r.oldest_due)),
    finishedPerMinute: Math.round((r.finished / THROUGHPUT_WINDOW_MINUTES) * 10) / 10,
    workers: r.workers,
    control,
    instanceControl,
  };
}

function versionOf(rows: QueueRow[], scope: QueuesView["scope"]): string {
  // Oldest-pending age moves every second; its minute is enough to say "changed".
  const stable = rows.map((r) => ({ ...r, oldestPendingSeconds: r.oldestPendingSeconds === null ? null : Math.floor(r.oldestPendingSeconds / 60) }));
  return `"${createHash("sha1").update(JSON.stringify([scope, stable])).digest("base64url").slice(0, 20)}"`;
}

/**
 * The figures every watcher of a project's (or the instance's) Queues page shares: one statement
 * per scope per second in this web process, read after each caller's own permission check. A
 * control change made here forgets them at once; another web process shows it within a second.
 */
const QUEUES_SHARE_MS = 1000;
const SHARED_QUEUES = "queues:";

function sharedQueueStats(names: string[], projectId: string | null) {
  return sharedRead(`${SHARED_QUEUES}${projectId ?? "instance"}:${names.join(",")}`, QUEUES_SHARE_MS, () => readQueueStats(getDatabase().db, names, projectId));
}

/** A project's queues: its job types, its runs (jobs:read). */
export async function getProjectQueues(slug: string): Promise<QueuesView> {
  const access = await requireProjectPermission(slug, "jobs:read");
  const defs = projectJobDefinitions();
  const rows = await sharedQueueStats(
    defs.map((d) => d.name),
    access.project.id,
  );
  const scope = { kind: "project" as const, slug: access.project.slug, name: access.project.name, canControl: access.permissions.has("jobs:write") };
  const view = rows.map((r, i) => toView(defs[i]!, r, true));
  return { scope, rows: view, countCap: QUEUE_COUNT_CAP, version: versionOf(view, scope) };
}

/** Every job type on the instance, system ones included (queues:read: the owner and support). */
export async function getInstanceQueues(): Promise<QueuesView> {
  const user = await requireInstancePermission("queues:read");
  const defs = [...projectJobDefinitions(), ...systemJobDefinitions()];
  const rows = await sharedQueueStats(
    defs.map((d) => d.name),
    null,
  );
  const scope = { kind: "instance" as const, canControl: canInstance(user.instanceRole, "queues:manage") };
  const view = rows.map((r, i) => toView(defs[i]!, r, false));
  return { scope, rows: view, countCap: QUEUE_COUNT_CAP, version: versionOf(view, scope) };
}

export type ControlInput = { jobType: string; paused?: boolean; concurrencyLimit?: number | null };

function describe(control: Control | null): QueueControlView {
  return { paused: control?.paused ?? false, concurrencyLimit: control?.concurrencyLimit ?? null };
}

/**
 * Pause, resume or limit a project's job type (jobs:write there). System job types are not the
 * project's to control: "not found", as they are not listed for it either. Audited with the change.
 */
export async function setProjectQueueControl(slug: string, input: ControlInput): Promise<QueueControlView> {
  const access = await requireProjectPermission(slug, "jobs:write");
  const def = getJobDefinition(input.jobType);
  if (!def || def.scope !== "project") throw new AccessError("not_found");
  const { db } = getDatabase();
  return db.transaction(async (tx) => {
    const { before, after } = await setControl(tx, { jobType: def.name, projectId: access.project.id, paused: input.paused, concurrencyLimit: input.concurrencyLimit, updatedBy: access.user.id });
    await recordAudit(tx, {
      action: "queue.control_changed",
      actor: actorOf(access),
      teamId: access.project.teamId,
      details: { jobType: def.name, projectId: access.project.id, projectSlug: access.project.slug, before: describe(before), after: describe(after) },
    });
    return describe(after);
  }).finally(() => sharedReads.forget(`${SHARED_QUEUES}${access.project.id}:`));
}

/** The instance-wide control of any job type, system ones included (queues:manage: the owner). */
export async function setInstanceQueueControl(input: ControlInput): Promise<QueueControlView> {
  const user = await requireInstancePermission("queues:manage");
  const def = getJobDefinition(input.jobType);
  if (!def) throw new AccessError("not_found");
  const { db } = getDatabase();
  return db.transaction(async (tx) => {
    const { before, after } = await setControl(tx, { jobType: def.name, projectId: null, paused: input.paused, concurrencyLimit: input.concurrencyLimit, updatedBy: user.id });
    await recordAudit(tx, {
      action: "queue.control_changed",
      actor: { userId: user.id, apiKeyId: null },
      teamId: null,
      details: { jobType: def.name, projectId: null, before: describe(before), after: describe(after) },
    });
    return describe(after);
    // An instance-wide control shows on every project's page too.
  }).finally(() => sharedReads.forget(SHARED_QUEUES));
}

/** For the jobs page's badge: the project's job types that are paused (by the project or the instance). */
export async function pausedJobTypes(slug: string): Promise<Set<string>> {
  const access = await requireProjectPermission(slug, "jobs:read");
  const { db } = getDatabase();
  const rows = await db.execute<{ job_type: string }>(
    sql`select distinct job_type from job_type_controls where paused and (project_id = ${access.project.id}::uuid or project_id is null)`,
  );
  return new Set(rows.map((r) => r.job_type));
}

/**
 * The Queues pages poll this while they are visible. The figures are one statement either way;
 * an unchanged view answers 304 with no body.
 */
export function queuesResponse(request: Request, view: QueuesView): Response {
  const headers = { ETag: view.version, "Cache-Control": "private, no-cache" };
  if (request.headers.get("if-none-match") === view.version) return new Response(null, { status: 304, headers });
  return Response.json(view, { headers });
}
