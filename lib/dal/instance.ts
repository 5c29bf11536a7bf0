import "server-only";
import { canInstance, type InstancePermission } from "@/lib/auth/permissions";
import { AccessError } from "./access";
import { getCurrentUser, type CurrentUser } from "./users";

/**
 * Instance pages and actions (error explorer, outbox, users, workers...) start here: the
 * permission comes from the instance role. Anyone without it gets "not found": those pages do not
 * exist for tenants.
 */
export async function requireInstancePermission(permission: InstancePermission): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) throw new AccessError("unauthenticated");
  if (!canInstance(user.instanceRole, permission)) throw new AccessError("not_found");
  return user;
}
