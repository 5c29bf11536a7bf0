import "server-only";
import { eq, sql } from "drizzle-orm";
import { checkPassword } from "@/lib/auth/password";
import { getDatabase } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

// Compared against when the email is unknown, so both paths cost one bcrypt check.
const DUMMY_HASH = "$2b$10$dsrOqrkHJ6lXKP1HdbWhi.966gV7hIGIe9ZGCp2hA/25hj/L7vhte";

type Verified = { id: string; email: string; name: string };

/**
 * Sign-in: the user for these credentials, "disabled" when the password is right but the instance
 * owner disabled the account (said only to someone who knows the password), else null.
 */
export async function checkSignIn(email: string, password: string): Promise<Verified | "disabled" | null> {
  const { db } = getDatabase();
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  const ok = await checkPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) return null;
  if (user.disabledAt) return "disabled";
  return { id: user.id, email: user.email, name: user.name };
}

/** The enabled user for these credentials, or null (invite acceptance proves an account this way). */
export async function verifyCredentials(email: string, password: string): Promise<Verified | null> {
  const result = await checkSignIn(email, password);
  return result === "disabled" ? null : result;
}
