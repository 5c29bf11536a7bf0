import "server-only";
import bcrypt from "bcryptjs";
import { eq, sql } from "drizzle-orm";
import { getDatabase } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

// Compared against when the email is unknown, so both paths cost one bcrypt check.
const DUMMY_HASH = "$2b$10$dsrOqrkHJ6lXKP1HdbWhi.966gV7hIGIe9ZGCp2hA/25hj/L7vhte";

/** Sign-in only: the user for these credentials, or null. */
export async function verifyCredentials(email: string, password: string): Promise<{ id: string; email: string; name: string } | null> {
  const { db } = getDatabase();
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  const ok = await bcrypt.compare(password, user?.passwordHash ?? DUMMY_HASH);
  return user && ok ? { id: user.id, email: user.email, name: user.name } : null;
}

