import bcrypt from "bcryptjs";
import { and, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { projects, teamMembers, teams, users, type InstanceRole, type TeamRole } from "@/lib/db/schema";

export type DemoAccount = { email: string; password: string; name: string; role: TeamRole | null; grants: string[]; instanceRole: InstanceRole; what: string };

export const DEMO_TEAM = { slug: "acme", name: "Acme" };
export const DEMO_PROJECT = { slug: "acme-app", name: "Acme App" };

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { email: "owner@runboard.local", password: "runboard-owner", name: "Olive Owner", role: "owner", grants: [], instanceRole: "owner", what: "team owner and instance owner: manages owners, sees the outbox" },
  { email: "admin@runboard.local", password: "runboard-admin", name: "Ada Admin", role: "admin", grants: [], instanceRole: "user", what: "team admin: runs and cancels jobs" },
  { email: "member@runboard.local", password: "runboard-member", name: "Max Member", role: "member", grants: ["jobs:read"], instanceRole: "user", what: "member granted jobs:read only" },
  { email: "support@runboard.local", password: "runboard-support", name: "Sam Support", role: null, grants: [], instanceRole: "support", what: "instance support: reads every team's runs" },
];

/**
 * Seed the demo team, project and accounts once; an existing install is left as it is. Only for
 * the embedded Postgres of `npm start` and for tests: these passwords are published.
 */
export async function seedDemo(db: Db): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    // One seeder at a time, and only into an empty install.
    await tx.execute(sql`select pg_advisory_xact_lock(7210001)`);
    const existing = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing.length > 0) return { created: false };
    const [team] = await tx.insert(teams).values(DEMO_TEAM).returning({ id: teams.id });
    if (!team) throw new Error("could not create the demo team");
    await tx.insert(projects).values({ ...DEMO_PROJECT, teamId: team.id });
    for (const account of DEMO_ACCOUNTS) {
      const [user] = await tx
        .insert(users)
        .values({ email: account.email, name: account.name, passwordHash: await bcrypt.hash(account.password, 10), instanceRole: account.instanceRole })
        .returning({ id: users.id });
      if (!user) throw new Error(`could not create ${account.email}`);
      if (account.role) await tx.insert(teamMembers).values({ teamId: team.id, userId: user.id, role: account.role, grants: account.grants });
    }
    return { created: true };
  });
}

/** Enabled demo accounts on this database that still have their published password. */
export async function knownPasswordAccounts(db: Db): Promise<string[]> {
  const rows = await db
    .select({ email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(and(inArray(users.email, DEMO_ACCOUNTS.map((a) => a.email)), isNull(users.disabledAt)));
  const exposed: string[] = [];
  for (const row of rows) {
    const account = DEMO_ACCOUNTS.find((a) => a.email === row.email);
    if (account && (await bcrypt.compare(account.password, row.passwordHash))) exposed.push(row.email);
  }
  return exposed;
}
