import "server-only";
import { and, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { canInstance } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { notifications, NOTIFICATION_STATUSES, type NotificationStatus } from "@/lib/db/schema";
import { capText, MAX_ERROR_MESSAGE, redactText } from "@/lib/jobs/redact";
import { requireInstancePermission } from "./instance";
import { decodeCursor, encodeCursor } from "./runs";

export const OUTBOX_PAGE_SIZE = 25;
export const OUTBOX_STATUSES = NOTIFICATION_STATUSES;

export type OutboxItem = {
  id: string;
  kind: string;
  toEmail: string;
  subject: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  runId: string | null;
};

export type OutboxPage = { rows: OutboxItem[]; nextCursor: string | null; smtpConfigured: boolean };

export function parseOutboxStatus(value: string | undefined): NotificationStatus | null {
  return (NOTIFICATION_STATUSES as readonly string[]).includes(value ?? "") ? (value as NotificationStatus) : null;
}

/**
 * The notifications outbox, newest first, keyset-paged (outbox:read: support and the instance
 * owner). With a status filter it reads notifications_status_created_idx. Delivery errors show as
 * stored only with errors:read-unredacted (support); the owner gets them masked (an SMTP error may
 * quote the SMTP URL).
 */
export async function listOutbox(status: NotificationStatus | null, cursor?: string): Promise<OutboxPage> {
  const user = await requireInstancePermission("outbox:read");
  const unredacted = canInstance(user.instanceRole, "errors:read-unredacted");
  const after = decodeCursor(cursor);
  const conditions: (SQL | undefined)[] = [
    status ? eq(notifications.status, status) : undefined,
    after ? or(lt(notifications.createdAt, after.queuedAt), and(eq(notifications.createdAt, after.queuedAt), lt(notifications.id, after.id))) : undefined,
  ];
  const rows = await getDatabase()
    .db.select({
      id: notifications.id,
      kind: notifications.kind,
      toEmail: notifications.toEmail,
      subject: notifications.subject,
      status: notifications.status,
      attempts: notifications.attempts,
      lastError: notifications.lastError,
      createdAt: notifications.createdAt,
      sentAt: notifications.sentAt,
      runId: notifications.runId,
    })
    .from(notifications)
    .where(and(...conditions))
    .orderBy(sql`${notifications.createdAt} desc nulls last`, sql`${notifications.id} desc nulls last`)
    .limit(OUTBOX_PAGE_SIZE + 1);
  const page = rows.slice(0, OUTBOX_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page.map((r) => ({
      ...r,
      lastError: r.lastError === null || unredacted ? r.lastError : redactText(capText(r.lastError, MAX_ERROR_MESSAGE)),
      createdAt: r.createdAt.toISOString(),
      sentAt: r.sentAt?.toISOString() ?? null,
    })),
    nextCursor: rows.length > OUTBOX_PAGE_SIZE && last ? encodeCursor(last.createdAt, last.id) : null,
    smtpConfigured: Boolean(process.env.SMTP_URL),
  };
}
