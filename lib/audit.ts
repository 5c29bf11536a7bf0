import type { DbOrTx } from "@/lib/db/client";
import { auditEvents, type AuditAction } from "@/lib/db/schema";

/** Who acted: a signed-in user, or an API key (with the user who created it, when known). */
export type Actor = { userId: string | null; apiKeyId: string | null };

export type AuditEvent = {
  action: AuditAction;
  actor: Actor;
  teamId: string | null;
  runId?: string | null;
  subjectUserId?: string | null;
  details?: Record<string, unknown>;
};

/** Append one audit event; pass the transaction of the change when there is one. */
export async function recordAudit(db: DbOrTx, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({
    action: event.action,
    teamId: event.teamId,
    runId: event.runId ?? null,
    actorUserId: event.actor.userId,
    actorApiKeyId: event.actor.apiKeyId,
    subjectUserId: event.subjectUserId ?? null,
    details: event.details ?? {},
  });
}
