import "server-only";
import { canInstance, type InstancePermission } from "@/lib/auth/permissions";
import type { InstanceRole } from "@/lib/db/schema";
import { AccessError } from "./access";
import { getCurrentUser, type CurrentUser } from "./users";

/**
 * Instance pages (error explorer, outbox) start here. Anyone without one of the roles gets
 * "not found": those pages do not exist for tenants.
 */
export async function requireInstanceRole(...roles: InstanceRole[]): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  if (!roles.includes(user.instanceRole)) throw new AccessError("not_found");
  return user;
}

/** Instance actions (disable a user): the permission comes from the instance role; others get "not found". */
export async function requireInstancePermission(permission: InstancePermission): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  if (!canInstance(user.instanceRole, permission)) throw new AccessError("not_found");
  return user;
}
