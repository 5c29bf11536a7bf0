import { eq, sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import SMTPTransport from "nodemailer/lib/smtp-transport";
import { notifications } from "@/lib/db/schema";
import { getJobDefinition, maxAttempts } from "@/lib/jobs/catalog";
import { JobError } from "@/lib/jobs/errors";
import { withoutInviteToken } from "@/lib/notify/invite-email";
import { withoutResetToken } from "@/lib/notify/password-reset-email";
import type { JobHandler } from "@/lib/jobs/define";
import type { NotificationDeliveryPayload } from "./notification-delivery";

const DEFAULT_FROM = "Runboard <runboard@localhost>";
/** A stuck mail server must not hold a worker slot (or a shutdown) for long. */
const SMTP_TIMEOUT_MS = 10_000;

const deliveryDef = getJobDefinition("notification_delivery");
const LAST_ATTEMPT = deliveryDef ? maxAttempts(deliveryDef) : 1;

type Mail = { to: string; subject: string; text: string };

/** One connection per message: deliveries are rare, and a fresh connection sees a changed SMTP_URL. */
async function sendMail(url: string, mail: Mail): Promise<SMTPTransport.SentMessageInfo> {
  // The URL's own options (auth, secure, query settings) still apply; only the timeouts are ours.
  const transporter = nodemailer.createTransport(
    new SMTPTransport({ url, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS }),
  );
  try {
    const info = await transporter.sendMail({ from: process.env.MAIL_FROM || DEFAULT_FROM, ...mail });
    if (info.rejected.length > 0) throw new Error(`The SMTP server rejected ${mail.to}: ${info.response}`);
    return info;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new JobError(`SMTP delivery failed: ${message}`, { type: "api_error", source: "external_service", subType: "smtp_error", severity: 3, retryable: true, cause: error });
  } finally {
    transporter.close();
  }
}

/**
 * Send one outbox message (seed 002). Without SMTP_URL the message is kept as `unsent` and the run
 * completes, so nothing is dropped silently. A failed send is recorded on the notification and
 * retried with backoff; after the last attempt the notification is `failed` and keeps the error
 * for support (seed 000 scenario 3), while the run goes to dead letter.
 */
const notificationDelivery: JobHandler<NotificationDeliveryPayload> = async (ctx) => {
  const notificationId = ctx.payload.notificationId;
  const [notification] = await ctx.db.select().from(notifications).where(eq(notifications.id, notificationId));
  if (!notification) throw new JobError("The notification no longer exists", { type: "validation_error", subType: "notification_not_found", severity: 2 });
  // A run retried by hand after a success must not send the email twice.
  if (notification.status === "sent") return { delivered: true, alreadySent: true, notificationId };

  // Read at call time: operators configure SMTP through the environment, per process start.
  const smtpUrl = process.env.SMTP_URL;
  if (!smtpUrl) {
    await ctx.db.update(notifications).set({ status: "unsent", lastError: "SMTP_URL not configured" }).where(eq(notifications.id, notificationId));
    return { delivered: false, reason: "SMTP_URL not configured", notificationId };
  }

  let info: SMTPTransport.SentMessageInfo;
  try {
    info = await ctx.step("send_email", () => sendMail(smtpUrl, { to: notification.toEmail, subject: notification.subject, text: notification.bodyText }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Support reads the last error on the notification too; after the last attempt it is final.
    await ctx.db
      .update(notifications)
      .set({ status: ctx.attempt >= LAST_ATTEMPT ? "failed" : "pending", attempts: sql`${notifications.attempts} + 1`, lastError: message })
      .where(eq(notifications.id, notificationId));
    throw error;
  }
  // Outside the catch above: a failed bookkeeping write is not an SMTP failure and is not recorded as one.
  // A sent invite or reset no longer needs its link: the stored copy keeps only the token's hash.
  const bodyText =
    notification.kind === "invite" ? withoutInviteToken(notification.bodyText) : notification.kind === "password_reset" ? withoutResetToken(notification.bodyText) : notification.bodyText;
  await ctx.db
    .update(notifications)
    .set({ status: "sent", attempts: sql`${notifications.attempts} + 1`, lastError: null, sentAt: sql`now()`, bodyText })
    .where(eq(notifications.id, notificationId));
  return { delivered: true, notificationId, messageId: info.messageId, response: info.response };
};

export default notificationDelivery;
