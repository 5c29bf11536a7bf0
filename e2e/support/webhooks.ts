import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import bcrypt from "bcryptjs";
import type postgres from "postgres";

export type Received = { path: string; headers: IncomingHttpHeaders; body: string; at: number };
export type Receiver = { url: string; received: Received[]; close: () => Promise<void> };

/** A real HTTP receiver on the port the suite's worker may call (E2E_WEBHOOK_PORT, allow-listed). */
export async function startReceiver(): Promise<Receiver> {
  const port = Number(process.env.E2E_WEBHOOK_PORT);
  if (!port) throw new Error("E2E_WEBHOOK_PORT is not set: run the suite through `npm test -- e2e`.");
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      res.end("thanks");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The receiver's check from docs/webhooks.md, written from the docs rather than imported from Runboard. */
export function verify(secret: string, rawBody: string, header: string, nowSeconds: number): "ok" | "mismatch" | "expired" | "malformed" {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return "malformed";
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "mismatch";
  return Math.abs(nowSeconds - t) > 300 ? "expired" : "ok";
}

export type WebhookTeam = { slug: string; project: string; admin: { email: string; password: string; name: string }; member: { email: string; password: string; name: string } };

/**
 * A team of the spec's own (an admin, a member without grants, one project), so the endpoints it
 * registers never send other specs' runs anywhere, nor add delivery runs to their projects.
 */
export async function seedWebhookTeam(sql: postgres.Sql): Promise<WebhookTeam> {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const slug = `hooks-${tag}`;
  const [team] = await sql<{ id: string }[]>`insert into teams (slug, name) values (${slug}, ${`Hooks ${tag}`}) returning id`;
  await sql`insert into projects (team_id, slug, name) values (${team!.id}, ${`${slug}-app`}, ${`Hooks app ${tag}`})`;
  const person = async (role: "admin" | "member") => {
    const email = `${role}.${tag}@hooks.test`;
    const password = `pw-${tag}-${role}`;
    const name = `${role === "admin" ? "Ada" : "Max"} ${tag}`;
    const [user] = await sql<{ id: string }[]>`insert into users (email, name, password_hash) values (${email}, ${name}, ${await bcrypt.hash(password, 4)}) returning id`;
    await sql`insert into team_members (team_id, user_id, role, grants) values (${team!.id}, ${user!.id}, ${role}, ${[]})`;
    return { email, password, name };
  };
  return { slug, project: `${slug}-app`, admin: await person("admin"), member: await person("member") };
}
