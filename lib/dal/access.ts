import "server-only";
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { cache } from "react";
import type { Actor } from "@/lib/audit";
import { permissionsFor, projectAccessFor, type Permission } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { projects, teamMembers, teams, type TeamRole } from "@/lib/db/schema";
import { hasNul } from "@/lib/validation/safe-text";
import { currentApiPrincipal, type ApiPrincipal } from "./principal";
import { sessionClaims } from "./session-claims";
import { SESSION_TOUCH_SECONDS, touchSession } from "./sessions";
import { getCurrentUser, type CurrentUser } from "./users";

export type ProjectAccess = {
  user: CurrentUser;
  project: { id: string; slug: string; name: string; teamId: string; teamName: string };
  permissions: ReadonlySet<Permission>;
  /** Support sees error stacks and payload secrets unredacted. */
  unredacted: boolean;
};

export class AccessError extends Error {
  constructor(readonly code: "unauthenticated" | "not_found" | "forbidden") {
    super(code === "unauthenticated" ? "Sign in to continue." : code === "not_found" ? "Not found." : "You do not have permission to do that.");
    this.name = "AccessError";
  }
}

/** The user's access to a project, read fresh from the database (once per request). */
export const getProjectAccess = cache(async (slug: string): Promise<ProjectAccess | null> => {
  const key = currentApiPrincipal();
  if (key) return getKeyProjectAccess(key, slug);
  const user = await getCurrentUser();
  return user ? userProjectAccess(user, slug) : null;
});

/**
 * A signed-in user's access: their membership and instance role decide it (projectAccessFor).
 * Cached per user object, so a page's many DAL calls read it once; a route handler (where React's
 * cache does not dedupe) pays one query per check.
 */
const userProjectAccess = cache(async (user: CurrentUser, slug: string): Promise<ProjectAccess | null> => (await readUserProjectAccess(user, slug))?.access ?? null);

/**
 * The access query; `extra` is one more value read in the same statement (a scalar subquery over
 * the project's id), so a hot path such as the run poll pays one round trip after the session.
 */
async function readUserProjectAccess<T>(user: CurrentUser, slug: string, extra?: (projectId: typeof projects.id) => SQL<T>): Promise<{ access: ProjectAccess; extra: T | null } | null> {
  // A slug with a NUL names no project (and Postgres would refuse it as text).
  if (hasNul(slug)) return null;
  const { db } = getDatabase();
  const [row] = await db
    .select({
      id: projects.id,
      slug: projects.slug,
      name: projects.name,
      teamId: projects.teamId,
      teamName: teams.name,
      role: teamMembers.role,
      grants: teamMembers.grants,
      extra: extra ? extra(projects.id) : sql<null>`null`,
    })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    .where(and(eq(projects.slug, slug), isNull(projects.deletedAt)));
  if (!row) return null;
  const { role, grants, extra: value, ...project } = row;
  // Someone outside the team (without runs:read-all) must not learn the project exists.
  const held = projectAccessFor(role ? { role, grants: grants ?? [] } : null, user.instanceRole);
  return held ? { access: { user, project, ...held }, extra: (value as T | null) ?? null } : null;
}

/**
 * An API key's access: only projects of the key's team exist for it, its scopes are its
 * permissions, and it always sees what a team member sees (redacted), whoever created it.
 */
async function getKeyProjectAccess(key: ApiPrincipal, slug: string): Promise<ProjectAccess | null> {
  if (hasNul(slug)) return null;
  const { db } = getDatabase();
  const [row] = await db
    .select({ id: projects.id, slug: projects.slug, name: projects.name, teamId: projects.teamId, teamName: teams.name })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .where(and(eq(projects.slug, slug), eq(projects.teamId, key.teamId), isNull(projects.deletedAt)));
  if (!row) return null;
  return { user: key.createdBy, project: row, permissions: new Set(key.scopes), unredacted: false };
}

/** The actor recorded in audit events for what this access does (with the key for API calls). */
export function actorOf(access: ProjectAccess | TeamAccess): Actor {
  return { userId: access.user.id, apiKeyId: currentApiPrincipal()?.keyId ?? null };
}

/**
 * Every DAL function starts here: signed in, the project visible to them, and the permission
 * held. A project of another team is "not found", never "forbidden".
 */
export async function requireProjectPermission(slug: string, permission: Permission): Promise<ProjectAccess> {
  const key = currentApiPrincipal();
  const user = key?.createdBy ?? (await getCurrentUser());
  if (!user) throw new AccessError("unauthenticated");
  const access = key ? await getProjectAccess(slug) : await userProjectAccess(user, slug);
  if (!access) throw new AccessError("not_found");
  if (!access.permissions.has(permission)) throw new AccessError("forbidden");
  return access;
}

type OneStatementRow = {
  user_id: string;
  email: string;
  user_name: string;
  instance_role: CurrentUser["instanceRole"];
  stale: boolean;
  project_id: string | null;
  slug: string | null;
  project_name: string | null;
  team_id: string | null;
  team_name: string | null;
  role: TeamRole | null;
  grants: string[] | null;
  extra: string | null;
};

/** The statement's text per `extra` fragment: constant, so postgres.js prepares it once per connection. */
const oneStatementTexts = new Map<string, string>();
function oneStatementText(extra: string): string {
  let text = oneStatementTexts.get(extra);
  if (!text) {
    text = `select u.id as user_id, u.email, u.name as user_name, u.instance_role,
        s.last_seen_at < now() - make_interval(secs => ${SESSION_TOUCH_SECONDS}) as stale,
        p.id as project_id, p.slug, p.name as project_name, p.team_id, t.name as team_name, m.role, m.grants,
        case when p.id is null then null else ${extra} end as extra
      from user_sessions s
      join users u on u.id = s.user_id and u.disabled_at is null
      left join (projects p join teams t on t.id = p.team_id) on p.slug = $3 and p.deleted_at is null
      left join team_members m on m.team_id = p.team_id and m.user_id = u.id
      where s.id = $1::uuid and s.user_id = $2::uuid and s.revoked_at is null and s.expires_at > now()`;
    oneStatementTexts.set(extra, text);
  }
  return text;
}

/**
 * For the hottest read, the run poll: the session check, the project access and `extra` (a scalar
 * subquery over `p.id`, its parameters $4 on) in ONE named prepared statement, planned once per
 * connection, instead of a session statement and an access statement built per call. The same
 * rules as getCurrentSession and readUserProjectAccess. An API key's access is read first and
 * `extra` after it (`readExtra`).
 */
export async function requireProjectPermissionWith<T extends string>(
  slug: string,
  permission: Permission,
  extra: { sql: string; params: readonly string[] },
  readExtra: (projectId: string) => Promise<T | null>,
): Promise<{ access: ProjectAccess; extra: T | null }> {
  const claims = currentApiPrincipal() ? null : await sessionClaims();
  if (!claims || hasNul(slug)) {
    const access = await requireProjectPermission(slug, permission);
    return { access, extra: await readExtra(access.project.id) };
  }
  const [row] = await getDatabase().sql.unsafe<OneStatementRow[]>(oneStatementText(extra.sql), [claims.sessionId, claims.userId, slug, ...extra.params], { prepare: true });
  if (!row) throw new AccessError("unauthenticated");
  if (row.stale) await touchSession(claims.sessionId);
  const user: CurrentUser = { id: row.user_id, email: row.email, name: row.user_name, instanceRole: row.instance_role };
  if (!row.project_id || !row.slug || !row.project_name || !row.team_id || row.team_name === null) throw new AccessError("not_found");
  const held = projectAccessFor(row.role ? { role: row.role, grants: row.grants ?? [] } : null, user.instanceRole);
  if (!held) throw new AccessError("not_found");
  if (!held.permissions.has(permission)) throw new AccessError("forbidden");
  const access: ProjectAccess = { user, project: { id: row.project_id, slug: row.slug, name: row.project_name, teamId: row.team_id, teamName: row.team_name }, ...held };
  return { access, extra: row.extra as T | null };
}

export type TeamAccess = {
  user: CurrentUser;
  team: { id: string; slug: string; name: string };
  role: TeamRole;
  permissions: ReadonlySet<Permission>;
};

/** The user's membership of a team, read fresh from the database; null when not a member. */
export const getTeamAccess = cache(async (teamSlug: string): Promise<TeamAccess | null> => {
  // API keys act on projects only; team settings are for people.
  if (currentApiPrincipal() || hasNul(teamSlug)) return null;
  const user = await getCurrentUser();
  if (!user) return null;
  const { db } = getDatabase();
  const [row] = await db
    .select({ id: teams.id, slug: teams.slug, name: teams.name, role: teamMembers.role, grants: teamMembers.grants })
    .from(teams)
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, user.id)))
    .where(eq(teams.slug, teamSlug));
  if (!row) return null;
  const { role, grants, ...team } = row;
  return { user, team, role, permissions: permissionsFor({ role, grants }, user.instanceRole) };
});

/** Team pages and actions start here; a team the user is not in is "not found". */
export async function requireTeamPermission(teamSlug: string, permission: Permission): Promise<TeamAccess> {
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  const access = await getTeamAccess(teamSlug);
  if (!access) throw new AccessError("not_found");
  if (!access.permissions.has(permission)) throw new AccessError("forbidden");
  return access;
}

/** A team's settings that the team manages itself (webhooks, alert rules): which team, and who acts. */
export type TeamManagement = { teamId: string; teamSlug: string; actor: Actor };

/**
 * Who manages a team's webhooks and alert rules: in the dashboard, team:manage in the team;
 * through the API, a key of the team with jobs:write whose creator is still an admin or owner of
 * it (a key never carries team:manage itself). `teamSlug` is the dashboard's; a key names its team.
 */
export async function requireTeamManagement(teamSlug: string | null): Promise<TeamManagement> {
  const key = currentApiPrincipal();
  if (!key) {
    if (!teamSlug) throw new AccessError("not_found");
    const access = await requireTeamPermission(teamSlug, "team:manage");
    return { teamId: access.team.id, teamSlug: access.team.slug, actor: actorOf(access) };
  }
  const [row] = await getDatabase()
    .db.select({ slug: teams.slug, role: teamMembers.role, grants: teamMembers.grants })
    .from(teams)
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, key.createdBy.id)))
    .where(eq(teams.id, key.teamId));
  if (!row) throw new AccessError("not_found");
  if (!key.scopes.has("jobs:write") || !permissionsFor({ role: row.role, grants: row.grants }, "user").has("team:manage")) throw new AccessError("forbidden");
  return { teamId: key.teamId, teamSlug: row.slug, actor: { userId: key.createdBy.id, apiKeyId: key.keyId } };
}
