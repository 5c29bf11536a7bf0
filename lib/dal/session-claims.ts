import "server-only";
import { z } from "zod";
import { auth } from "@/lib/auth/config";

/** What the session cookie claims (user and session ids), before the database has confirmed it. */
export async function sessionClaims(): Promise<{ userId: string; sessionId: string } | null> {
  const session = await auth();
  const userId = session?.user?.id;
  const sessionId = session?.sessionId;
  if (!userId || !sessionId || !z.uuid().safeParse(userId).success || !z.uuid().safeParse(sessionId).success) return null;
  return { userId, sessionId };
}
