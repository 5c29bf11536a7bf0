import type { InstanceRole, TeamRole } from "@/lib/db/schema";

/** Permissions are data: one list, one role table, one check (dub's rbac pattern). */
export const PERMISSIONS = ["jobs:read", "jobs:write", "team:manage"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What an admin may grant a member on top of their role, and what an API key may carry. */
export const GRANTABLE_PERMISSIONS = ["jobs:read", "jobs:write"] as const satisfies readonly Permission[];
export type GrantablePermission = (typeof GRANTABLE_PERMISSIONS)[number];

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
  // Support reads every team's runs (unredacted) but never triggers or cancels.
  if (instanceRole === "support") result.add("jobs:read");
  if (!membership) return result;
  for (const p of ROLE_PERMISSIONS[membership.role]) result.add(p);
  // Only job permissions can be granted: a stray "team:manage" in the grants column grants nothing.
  for (const g of membership.grants) if (isGrantable(g)) result.add(g);
  return result;
}

export function can(membership: Membership, instanceRole: InstanceRole, permission: Permission): boolean {
  return permissionsFor(membership, instanceRole).has(permission);
}

/** Instance-wide permissions, held through the instance role (the same shape as team roles). */
export const INSTANCE_PERMISSIONS = ["users:manage"] as const;
export type InstancePermission = (typeof INSTANCE_PERMISSIONS)[number];

export const INSTANCE_ROLE_PERMISSIONS: Record<InstanceRole, readonly InstancePermission[]> = {
  user: [],
  // Support reads runs; it does not decide who may sign in.
  support: [],
  owner: ["users:manage"],
};

export function canInstance(instanceRole: InstanceRole, permission: InstancePermission): boolean {
  return INSTANCE_ROLE_PERMISSIONS[instanceRole].includes(permission);
}
