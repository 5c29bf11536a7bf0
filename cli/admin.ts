/**
 * Local operator commands for accounts: `runboard admin create` makes an instance owner, the way
 * the first owner of a real install comes to exist (`npm start` seeds demo accounts only on its
 * embedded Postgres). It runs against the database directly, like `runboard system`.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { and, count, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { hashPassword, newPassword } from "@/lib/auth/password";
import { createDatabase, type Db } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { EXIT } from "./exit-codes";
import { systemDatabaseUrl } from "./system";

export const ADMIN_USAGE = `Usage: runboard admin create --email <address> [--name <name>] [--password-stdin]
  (local: uses DATABASE_URL, or the embedded Postgres of \`npm start\`)

  Create an instance owner: signs in with this email and password, sees the Users page (disable
  or enable accounts) and the outbox. On a terminal the password is asked for twice, hidden;
  with --password-stdin it is the first line of standard input (for scripts and secrets stores).
  Passwords have at least 10 characters.`;

/** Enabled instance owners; `npm start` tells the operator how to create one when there are none. */
export async function countOwners(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(and(eq(users.instanceRole, "owner"), isNull(users.disabledAt)));
  return row?.n ?? 0;
}

export type CreateOwnerOutcome = { ok: true; id: string } | { ok: false; reason: "exists" };

export async function createInstanceOwner(db: Db, input: { email: string; name: string; password: string }): Promise<CreateOwnerOutcome> {
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(users)
    .values({ email: input.email, name: input.name, passwordHash, instanceRole: "owner" })
    // The only unique key besides the id is lower(email): a conflict means the address is taken.
    .onConflictDoNothing()
    .returning({ id: users.id });
  return row ? { ok: true, id: row.id } : { ok: false, reason: "exists" };
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "").trim();
}

/** Ask on the terminal without echoing what is typed. */
function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

function fail(message: string, code: number = EXIT.usage): number {
  console.error(message);
  return code;
}

async function create(args: string[]): Promise<number> {
  let values: { email?: string; name?: string; "password-stdin"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { email: { type: "string" }, name: { type: "string" }, "password-stdin": { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n\n${ADMIN_USAGE}`);
  }
  if (values.help) {
    console.log(ADMIN_USAGE);
    return EXIT.ok;
  }
  const email = z.email().max(320).safeParse(values.email?.trim().toLowerCase());
  if (!email.success) return fail(`Give the owner's email with --email <address>.\n\n${ADMIN_USAGE}`);
  const name = (values.name?.trim() || email.data.split("@")[0] || email.data).slice(0, 100);

  let password: string;
  if (values["password-stdin"]) password = await readStdinLine();
  else if (process.stdin.isTTY) {
    password = await askHidden(`Password for ${email.data}: `);
    if ((await askHidden("Repeat it: ")) !== password) return fail("The two passwords differ; nothing was created.");
  } else return fail("No terminal to ask for the password: pipe it in with --password-stdin.");
  const checked = newPassword.safeParse(password);
  if (!checked.success) return fail(`${checked.error.issues[0]?.message ?? "Choose another password."} Nothing was created.`);

  const database = createDatabase(systemDatabaseUrl(), { max: 1 });
  try {
    const outcome = await createInstanceOwner(database.db, { email: email.data, name, password: checked.data });
    if (!outcome.ok) return fail(`An account with ${email.data} exists already; nothing was changed.`, EXIT.conflict);
    const where = process.env.RUNBOARD_URL ? `${process.env.RUNBOARD_URL.replace(/\/+$/, "")}/sign-in` : "your Runboard's /sign-in page";
    console.log(`Created the instance owner ${email.data}. Sign in at ${where}.`);
    return EXIT.ok;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), EXIT.error);
  } finally {
    await database.close();
  }
}

/** `runboard admin …`; returns the process exit code. */
export async function adminCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "create") return create(rest);
  console.log(ADMIN_USAGE);
  return command === undefined || command === "--help" || command === "-h" || command === "help" ? EXIT.ok : EXIT.usage;
}
