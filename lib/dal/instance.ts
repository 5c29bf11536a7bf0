import "server-only";
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
