import type { InstanceRole, TeamRole } from "@/lib/db/schema";

/** Permissions are data: one list, one role table, one check (dub's rbac pattern). */
export const PERMISSIONS = ["jobs:read", "jobs:write", "team:manage"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What an admin may grant a member on top of their role, and what an API key may carry. */
export const GRANTABLE_PERMISSIONS = ["jobs:read", "jobs:write"] as const satisfies readonly Permission[];
export type GrantablePermission = (typeof GRANTABLE_PERMISSIONS)[number];

/**
 * What an API key may carry: the grantable permissions, plus team:manage for scripting project
 * create / rename / delete. A scope counts only while the key's creator still holds it in the team.
 */
export const KEY_SCOPES = [...GRANTABLE_PERMISSIONS, "team:manage"] as const satisfies readonly Permission[];
export type KeyScope = (typeof KEY_SCOPES)[number];

export function isKeyScope(value: string): value is KeyScope {
  return (KEY_SCOPES as readonly string[]).includes(value);
}

/** Seed 002: "Users need admin role minimum to access jobs." Members start with nothing. */
export const ROLE_PERMISSIONS: Record<TeamRole, readonly Permission[]> = {
  owner: ["jobs:read", "jobs:write", "team:manage"],
  admin: ["jobs:read", "jobs:write", "team:manage"],
  member: [],
};

export type Membership = { role: TeamRole; grants: readonly string[] } | null;

export function isGrantable(value: string): value is GrantablePermission {
  return (GRANTABLE_PERMISSIONS as readonly string[]).includes(value);
}

/** The effective permissions of a user in a team: role defaults plus explicit grants. */
export function permissionsFor(membership: Membership, instanceRole: InstanceRole): Set<Permission> {
  const result = new Set<Permission>();
  // Reading every team's runs is read access to every project, with or without membership.
  if (canInstance(instanceRole, "runs:read-all")) result.add("jobs:read");
  if (!membership) return result;
  for (const p of ROLE_PERMISSIONS[membership.role]) result.add(p);
  // Only job permissions can be granted: a stray "team:manage" in the grants column grants nothing.
  for (const g of membership.grants) if (isGrantable(g)) result.add(g);
  return result;
}

export function can(membership: Membership, instanceRole: InstanceRole, permission: Permission): boolean {
  return permissionsFor(membership, instanceRole).has(permission);
}

/**
 * What a user holds in one project, or null when the project must stay invisible to them (another
 * team's, for anyone who does not read every team's runs). Pages, API and the run poll all decide here.
 */
export function projectAccessFor(membership: Membership, instanceRole: InstanceRole): { permissions: Set<Permission>; unredacted: boolean } | null {
  if (!membership && !canInstance(instanceRole, "runs:read-all")) return null;
  return { permissions: permissionsFor(membership, instanceRole), unredacted: canInstance(instanceRole, "errors:read-unredacted") };
}

/** Instance-wide permissions, held through the instance role (the same shape as team roles). */
export const INSTANCE_PERMISSIONS = [
  /** Open every team's projects and runs (jobs:read there) without being a member. */
  "runs:read-all",
  /** Re-drive a failed or dead-lettered run of any project it can read. */
  "runs:retry-all",
  /** Errors, payloads and delivery errors as stored (no masking), and the cross-team error explorer. */
  "errors:read-unredacted",
  "outbox:read",
  /** Every team's runs, failure rate and durations per job type, aggregated (/insights). */
  "insights:read-all",
  "users:manage",
  "workers:read",
  "workers:manage",
  "queues:read",
  "queues:manage",
  "schedules:read",
  "schedules:manage",
] as const;
export type InstancePermission = (typeof INSTANCE_PERMISSIONS)[number];

export const INSTANCE_ROLE_PERMISSIONS: Record<InstanceRole, readonly InstancePermission[]> = {
  user: [],
  // Support investigates: it reads everything as stored and re-drives, but never triggers, cancels,
  // changes the instance or decides who may sign in.
  support: ["runs:read-all", "runs:retry-all", "errors:read-unredacted", "outbox:read", "insights:read-all", "workers:read", "queues:read", "schedules:read"],
  // The owner runs the instance; it sees tenants' runs only through its own team memberships.
  owner: ["outbox:read", "insights:read-all", "users:manage", "workers:read", "workers:manage", "queues:read", "queues:manage", "schedules:read", "schedules:manage"],
};

export function canInstance(instanceRole: InstanceRole, permission: InstancePermission): boolean {
  return INSTANCE_ROLE_PERMISSIONS[instanceRole].includes(permission);
}

/** Whether the instance role holds any instance permission (the header shows the role then). */
export function isInstanceOperator(instanceRole: InstanceRole): boolean {
  return INSTANCE_ROLE_PERMISSIONS[instanceRole].length > 0;
}
