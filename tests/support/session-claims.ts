import { auth } from "@/lib/auth/config";
import { sessionClaimsOf } from "@/lib/dal/session-claims-of";

/**
 * The stand-in for lib/dal/session-claims (which reads the request's cookie): the claims of the
 * test file's own stand-in for Auth.js's auth(), checked as a real cookie's are. Imported by the
 * mock factory only, so the file's mock of lib/auth/config is in place before anything races for it.
 */
export async function claimsFromAuth(): Promise<{ userId: string; sessionId: string } | null> {
  const session = await auth();
  return sessionClaimsOf(session?.user?.id, session?.sessionId);
}
