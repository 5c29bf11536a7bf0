import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type Mail = { to: string[]; from: string | null; subject: string; text: string };

/** Just enough MIME for what nodemailer sends us: unfolded headers and a decoded text body. */
function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 4);
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  let text = body;
  if (encoding === "base64") text = Buffer.from(body, "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    const soft = body.replace(/=\r\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(soft.charCodeAt(i));
    }
    text = Buffer.from(bytes).toString("utf8");
  }
  return { subject: headers.get("subject") ?? "", text: text.replace(/\r\n/g, "\n") };
}

export type Smtp = { url: string; mails: Mail[]; rejected: number; close: () => Promise<void> };

/** A real SMTP server on a free local port; `rejectWith` makes it refuse every message at DATA. */
export async function startSmtp(rejectWith?: string): Promise<Smtp> {
  const smtp: Smtp = { url: "", mails: [], rejected: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (rejectWith) {
          smtp.rejected++;
          return callback(Object.assign(new Error(rejectWith), { responseCode: 451 }));
        }
        const { subject, text } = parseMail(Buffer.concat(chunks).toString("utf8"));
        smtp.mails.push({ to: session.envelope.rcptTo.map((r) => r.address), from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, subject, text });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  smtp.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  smtp.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return smtp;
}

export const mailsTo = (server: Smtp, address: string) => server.mails.filter((m) => m.to.includes(address));
