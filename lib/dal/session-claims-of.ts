import { z } from "zod";

export type SessionClaims = { userId: string; sessionId: string };

/** A token's claims when both are uuids (anything else names no session and never reaches SQL). */
export function sessionClaimsOf(userId: unknown, sessionId: unknown): SessionClaims | null {
  return typeof userId === "string" && typeof sessionId === "string" && z.uuid().safeParse(userId).success && z.uuid().safeParse(sessionId).success ? { userId, sessionId } : null;
}
