import type { InstanceRole, TeamRole } from "@/lib/db/schema";

/** Permissions are data: one list, one role table, one check (dub's rbac pattern). */
export const PERMISSIONS = ["jobs:read", "jobs:write"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Seed 002: "Users need admin role minimum to access jobs." Members start with nothing. */
export const ROLE_PERMISSIONS: Record<TeamRole, readonly Permission[]> = {
  owner: ["jobs:read", "jobs:write"],
  admin: ["jobs:read", "jobs:write"],
  member: [],
};

export type Membership = { role: TeamRole; grants: readonly string[] } | null;

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The effective permissions of a user in a team: role defaults plus explicit grants. */
export function permissionsFor(membership: Membership, instanceRole: InstanceRole): Set<Permission> {
  const result = new Set<Permission>();
  // Support reads every team's runs (unredacted) but never triggers or cancels.
  if (instanceRole === "support") result.add("jobs:read");
  if (!membership) return result;
  for (const p of ROLE_PERMISSIONS[membership.role]) result.add(p);
  for (const g of membership.grants) if (isPermission(g)) result.add(g);
  return result;
}

export function can(membership: Membership, instanceRole: InstanceRole, permission: Permission): boolean {
  return permissionsFor(membership, instanceRole).has(permission);
}
