import "server-only";
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import { cache } from "react";
import type { z } from "zod";
import { recordAudit, type Actor } from "@/lib/audit";
import { canInstance, permissionsFor, ROLE_PERMISSIONS } from "@/lib/auth/permissions";
import { getDatabase, type Tx } from "@/lib/db/client";
import { jobRuns, projects, teamMembers, teams, type TeamRole } from "@/lib/db/schema";
import { ACTIVE_STATUSES } from "@/lib/jobs/lifecycle";
import { SOFT_DELETE_GRACE_DAYS } from "@/lib/jobs/system/soft-delete-cleanup";
import { displayName, slugCandidates, slugify } from "@/lib/teams/names";
import { hasNul } from "@/lib/validation/safe-text";
import { AccessError, actorOf, requireTeamPermission } from "./access";
import { currentApiPrincipal } from "./principal";
import { getCurrentUser } from "./users";

const MANAGING_ROLES = (Object.keys(ROLE_PERMISSIONS) as TeamRole[]).filter((r) => ROLE_PERMISSIONS[r].includes("team:manage"));

export type ProjectListItem = { slug: string; name: string; teamSlug: string; teamName: string };

const MAX_PROJECTS = 200;

/** Projects the signed-in user may open: their teams' projects (every team's with runs:read-all). */
export async function listMyProjects(): Promise<ProjectListItem[]> {
  const user = await getCurrentUser();
  if (!user) return [];
  const { db } = getDatabase();
  const readsAll = canInstance(user.instanceRole, "runs:read-all");
  return db
    .selectDistinct({ slug: projects.slug, name: projects.name, teamSlug: teams.slug, teamName: teams.name })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    .where(and(isNull(projects.deletedAt), or(sql`${readsAll}`, sql`${teamMembers.userId} is not null`)))
    .orderBy(asc(teams.name), asc(projects.name), asc(projects.slug), asc(teams.slug))
    .limit(MAX_PROJECTS);
}

// ---------------------------------------------------------------------------------------------
// Create, rename, delete (soft), restore: team:manage in the project's team. A user acts through
// their membership; an API key acts in its own team only, with the team:manage scope, and only
// while its creator still holds team:manage there (KEY_SCOPES).

/** How long a deleted project can be restored; soft_delete_cleanup removes it after that. */
export const RESTORE_DAYS = SOFT_DELETE_GRACE_DAYS;
/** Live projects per team: the projects page and the API list stay whole. */
export const MAX_PROJECTS_PER_TEAM = 100;

export type ProjectMutationCode = "invalid" | "duplicate" | "too_many" | "unchanged" | "deleted" | "already_deleted" | "active_run" | "not_deleted" | "expired" | "forbidden";
export type ProjectMutation<T> =
  | { ok: true; data: T }
  | { ok: false; code: ProjectMutationCode; message: string; fieldErrors?: Record<string, string[]>; runId?: string };

export type ProjectRef = { slug: string; name: string; teamName: string };
export type DeletedProjectRef = ProjectRef & { deletedAt: string; restoreUntil: string };

export type Manager = { actor: Actor; userId: string; team: { id: string; slug: string; name: string } };

const restoreUntil = (deletedAt: Date) => new Date(deletedAt.getTime() + RESTORE_DAYS * 86_400_000);
const dateText = (d: Date) => d.toISOString().replace("T", " ").slice(0, 16) + " UTC";

function invalidName(error: z.ZodError): ProjectMutation<never> {
  return { ok: false, code: "invalid", message: "Please correct the highlighted fields.", fieldErrors: { name: error.issues.map((i) => i.message).slice(0, 1) } };
}

/** The team to create a project in: the key's own team, or a team the user manages. */
async function requireTeamManager(teamSlug: string | undefined): Promise<Manager> {
  const key = currentApiPrincipal();
  if (key) {
    if (!key.scopes.has("team:manage")) throw new AccessError("forbidden");
    const [team] = await getDatabase().db.select({ id: teams.id, slug: teams.slug, name: teams.name }).from(teams).where(eq(teams.id, key.teamId));
    if (!team) throw new AccessError("not_found");
    return { actor: { userId: key.createdBy.id, apiKeyId: key.keyId }, userId: key.createdBy.id, team };
  }
  if (!teamSlug) throw new AccessError("not_found");
  const access = await requireTeamPermission(teamSlug, "team:manage");
  return { actor: actorOf(access), userId: access.user.id, team: access.team };
}

type ManagedProject = { id: string; slug: string; name: string; deletedAt: Date | null };

/**
 * A project by slug, deleted or not, for someone who manages its team. Outside the team (or
 * another team's key) it is "not found"; inside it, without team:manage, "forbidden".
 */
export const requireProjectManager = cache(async (slug: string): Promise<Manager & { projectId: string }> => {
  if (hasNul(slug) || slug.length > 200) throw new AccessError("not_found");
  const key = currentApiPrincipal();
  const user = key?.createdBy ?? (await getCurrentUser());
  if (!user) throw new AccessError("unauthenticated");
  const [row] = await getDatabase()
    .db.select({ id: projects.id, deletedAt: projects.deletedAt, teamId: teams.id, teamSlug: teams.slug, teamName: teams.name, role: teamMembers.role, grants: teamMembers.grants })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    .where(eq(projects.slug, slug));
  if (!row || (key && row.teamId !== key.teamId)) throw new AccessError("not_found");
  const team = { id: row.teamId, slug: row.teamSlug, name: row.teamName };
  if (key) {
    if (!key.scopes.has("team:manage")) throw new AccessError("forbidden");
    return { actor: { userId: user.id, apiKeyId: key.keyId }, userId: user.id, team, projectId: row.id };
  }
  if (!row.role) {
    // Support reads live projects of every team: for them it exists, but is not theirs to change.
    if (!row.deletedAt && canInstance(user.instanceRole, "runs:read-all")) throw new AccessError("forbidden");
    throw new AccessError("not_found");
  }
  if (!permissionsFor({ role: row.role, grants: row.grants ?? [] }, "user").has("team:manage")) throw new AccessError("forbidden");
  return { actor: { userId: user.id, apiKeyId: null }, userId: user.id, team, projectId: row.id };
});

/**
 * Serialize project changes per team (the team row's lock: duplicate-name checks and slug picks
 * cannot race), and re-read that the actor still manages it: a demotion since the request's check wins.
 */
async function lockTeamAsManager(tx: Tx, manager: Manager): Promise<boolean> {
  await tx.execute(sql`select 1 from ${teams} where ${teams.id} = ${manager.team.id} for update`);
  const [me] = await tx
    .select({ role: teamMembers.role, grants: teamMembers.grants })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, manager.team.id), eq(teamMembers.userId, manager.userId)));
  return !!me && permissionsFor({ role: me.role, grants: me.grants }, "user").has("team:manage");
}

const lostManage: ProjectMutation<never> = { ok: false, code: "forbidden", message: "You no longer manage this team." };

async function liveNameTaken(tx: Tx, teamId: string, name: string, exceptId: string | null): Promise<string | null> {
  const [row] = await tx
    .select({ slug: projects.slug })
    .from(projects)
    .where(and(eq(projects.teamId, teamId), isNull(projects.deletedAt), eq(sql`lower(${projects.name})`, name.toLowerCase()), exceptId ? ne(projects.id, exceptId) : undefined))
    .limit(1);
  return row?.slug ?? null;
}

const duplicate = (name: string, team: string, slug: string): ProjectMutation<never> => ({
  ok: false,
  code: "duplicate",
  message: `${team} already has a project named “${name}” (/projects/${slug}). Choose another name.`,
  fieldErrors: { name: ["That name is taken in this team."] },
});

async function lockProject(tx: Tx, projectId: string): Promise<ManagedProject | undefined> {
  const [row] = await tx
    .select({ id: projects.id, slug: projects.slug, name: projects.name, deletedAt: projects.deletedAt })
    .from(projects)
    .where(eq(projects.id, projectId))
    .for("update");
  return row;
}

/** Create a project in a team; the slug comes from the name and is never reused while the row exists. */
export async function createProject(teamSlug: string | undefined, rawName: unknown): Promise<ProjectMutation<ProjectRef>> {
  const manager = await requireTeamManager(teamSlug);
  const parsed = displayName("project").safeParse(rawName);
  if (!parsed.success) return invalidName(parsed.error);
  const name = parsed.data;
  return getDatabase().db.transaction(async (tx) => {
    if (!(await lockTeamAsManager(tx, manager))) return lostManage;
    const taken = await liveNameTaken(tx, manager.team.id, name, null);
    if (taken) return duplicate(name, manager.team.name, taken);
    const [{ live } = { live: 0 }] = await tx
      .select({ live: sql<number>`count(*)::int` })
      .from(projects)
      .where(and(eq(projects.teamId, manager.team.id), isNull(projects.deletedAt)));
    if (live >= MAX_PROJECTS_PER_TEAM) return { ok: false, code: "too_many", message: `${manager.team.name} has ${MAX_PROJECTS_PER_TEAM} projects, the most a team can have. Delete one first.` };
    let slug: string | null = null;
    for (const candidate of slugCandidates(slugify(name, "project"), () => randomBytes(3).toString("hex"))) {
      const [row] = await tx.insert(projects).values({ teamId: manager.team.id, slug: candidate, name }).onConflictDoNothing({ target: projects.slug }).returning({ slug: projects.slug });
      if (row) {
        slug = row.slug;
        break;
      }
    }
    if (!slug) throw new Error("no free project slug");
    await recordAudit(tx, { action: "project.created", actor: manager.actor, teamId: manager.team.id, details: { slug, name } });
    return { ok: true, data: { slug, name, teamName: manager.team.name } };
  });
}

/** Rename a live project; its slug (and so every link to it) stays. */
export async function renameProject(slug: string, rawName: unknown): Promise<ProjectMutation<ProjectRef>> {
  const manager = await requireProjectManager(slug);
  const parsed = displayName("project").safeParse(rawName);
  if (!parsed.success) return invalidName(parsed.error);
  const name = parsed.data;
  return getDatabase().db.transaction(async (tx) => {
    if (!(await lockTeamAsManager(tx, manager))) return lostManage;
    const project = await lockProject(tx, manager.projectId);
    if (!project) throw new AccessError("not_found");
    if (project.deletedAt) return { ok: false, code: "deleted", message: `“${project.name}” is deleted: restore it before renaming it.` };
    if (project.name === name) return { ok: false, code: "unchanged", message: `The project is already named “${name}”.` };
    const taken = await liveNameTaken(tx, manager.team.id, name, project.id);
    if (taken) return duplicate(name, manager.team.name, taken);
    await tx.update(projects).set({ name }).where(eq(projects.id, project.id));
    await recordAudit(tx, { action: "project.renamed", actor: manager.actor, teamId: manager.team.id, details: { slug: project.slug, from: project.name, to: name } });
    return { ok: true, data: { slug: project.slug, name, teamName: manager.team.name } };
  });
}

/**
 * Soft-delete a project: it leaves every list, page, API answer and trigger at once, and can be
 * restored for RESTORE_DAYS. Refused while a run of it is pending or running (the run is named):
 * a deleted project never holds an active run, so cleanup never has to wait for one. The project
 * row's lock orders this against a concurrent trigger (enqueue checks the row under key-share).
 */
export async function deleteProject(slug: string): Promise<ProjectMutation<DeletedProjectRef>> {
  const manager = await requireProjectManager(slug);
  return getDatabase().db.transaction(async (tx) => {
    if (!(await lockTeamAsManager(tx, manager))) return lostManage;
    const project = await lockProject(tx, manager.projectId);
    if (!project) throw new AccessError("not_found");
    if (project.deletedAt) {
      return { ok: false, code: "already_deleted", message: `“${project.name}” was already deleted on ${dateText(project.deletedAt)}; it can be restored until ${dateText(restoreUntil(project.deletedAt))}.` };
    }
    const [active] = await tx
      .select({ id: jobRuns.id, jobType: jobRuns.jobType, status: jobRuns.status })
      .from(jobRuns)
      .where(and(eq(jobRuns.projectId, project.id), inArray(jobRuns.status, ACTIVE_STATUSES)))
      .limit(1);
    if (active) {
      return {
        ok: false,
        code: "active_run",
        runId: active.id,
        message: `“${project.name}” has a ${active.status} run (${active.jobType}, ${active.id}). Cancel it or let it finish, then delete the project.`,
      };
    }
    const [row] = await tx.update(projects).set({ deletedAt: sql`now()` }).where(eq(projects.id, project.id)).returning({ deletedAt: projects.deletedAt });
    const deletedAt = row?.deletedAt ?? new Date();
    await recordAudit(tx, { action: "project.deleted", actor: manager.actor, teamId: manager.team.id, details: { slug: project.slug, name: project.name, restoreUntil: restoreUntil(deletedAt).toISOString() } });
    return { ok: true, data: { slug: project.slug, name: project.name, teamName: manager.team.name, deletedAt: deletedAt.toISOString(), restoreUntil: restoreUntil(deletedAt).toISOString() } };
  });
}

/** Restore a soft-deleted project within RESTORE_DAYS, unless a live project took its name since. */
export async function restoreProject(slug: string): Promise<ProjectMutation<ProjectRef>> {
  const manager = await requireProjectManager(slug);
  return getDatabase().db.transaction(async (tx) => {
    if (!(await lockTeamAsManager(tx, manager))) return lostManage;
    const project = await lockProject(tx, manager.projectId);
    if (!project) throw new AccessError("not_found");
    if (!project.deletedAt) return { ok: false, code: "not_deleted", message: `“${project.name}” is not deleted.` };
    const until = restoreUntil(project.deletedAt);
    if (until.getTime() <= Date.now()) {
      return { ok: false, code: "expired", message: `The restore window for “${project.name}” ended on ${dateText(until)}; soft-delete cleanup removes it on its next pass.` };
    }
    const taken = await liveNameTaken(tx, manager.team.id, project.name, project.id);
    if (taken) return { ...duplicate(project.name, manager.team.name, taken), message: `${manager.team.name} has a new project named “${project.name}” (/projects/${taken}). Rename that one, then restore this.` };
    await tx.update(projects).set({ deletedAt: null }).where(eq(projects.id, project.id));
    await recordAudit(tx, { action: "project.restored", actor: manager.actor, teamId: manager.team.id, details: { slug: project.slug, name: project.name } });
    return { ok: true, data: { slug: project.slug, name: project.name, teamName: manager.team.name } };
  });
}

/** For the project pages' fallback: a deleted project's slug, told to whoever manages its team. */
export async function getDeletedProjectNotice(slug: string): Promise<(DeletedProjectRef & { expired: boolean }) | null> {
  const user = await getCurrentUser();
  if (!user || hasNul(slug) || slug.length > 200) return null;
  const [row] = await getDatabase()
    .db.select({ slug: projects.slug, name: projects.name, teamName: teams.name, deletedAt: projects.deletedAt, role: teamMembers.role, grants: teamMembers.grants })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    .where(and(eq(projects.slug, slug), isNotNull(projects.deletedAt)));
  if (!row?.deletedAt || !permissionsFor({ role: row.role, grants: row.grants }, "user").has("team:manage")) return null;
  const until = restoreUntil(row.deletedAt);
  return { slug: row.slug, name: row.name, teamName: row.teamName, deletedAt: row.deletedAt.toISOString(), restoreUntil: until.toISOString(), expired: until.getTime() <= Date.now() };
}

/** Deleted projects of the teams the user manages, newest first (the projects page's bin). */
export async function listDeletedProjects(): Promise<DeletedProjectRef[]> {
  const user = await getCurrentUser();
  if (!user) return [];
  const rows = await getDatabase()
    .db.select({ slug: projects.slug, name: projects.name, teamName: teams.name, deletedAt: projects.deletedAt })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    // Only roles hold team:manage (it is not grantable).
    .where(and(isNotNull(projects.deletedAt), inArray(teamMembers.role, MANAGING_ROLES), sql`${projects.deletedAt} > now() - make_interval(days => ${RESTORE_DAYS})`))
    .orderBy(desc(projects.deletedAt), asc(projects.id))
    .limit(MAX_PROJECTS);
  return rows.map((r) => {
    const deletedAt = r.deletedAt ?? new Date();
    return { slug: r.slug, name: r.name, teamName: r.teamName, deletedAt: deletedAt.toISOString(), restoreUntil: restoreUntil(deletedAt).toISOString() };
  });
}
