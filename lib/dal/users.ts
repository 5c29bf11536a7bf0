import "server-only";
import { eq } from "drizzle-orm";
import { cache } from "react";
import { auth } from "@/lib/auth/config";
import { getDatabase } from "@/lib/db/client";
import { users, type InstanceRole } from "@/lib/db/schema";

export type CurrentUser = { id: string; email: string; name: string; instanceRole: InstanceRole };

/** The signed-in user, read fresh from the database once per request; null when signed out. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  const { db } = getDatabase();
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, instanceRole: users.instanceRole })
    .from(users)
    .where(eq(users.id, id));
  return user ?? null;
});
