import { createHash, randomBytes } from "node:crypto";
import type postgres from "postgres";

export type TestKey = { id: string; key: string; prefix: string };

/**
 * A key stored exactly as lib/dal/api-keys.ts stores one (sha256 of the whole key, visible
 * prefix), for specs that need many keys without clicking through the settings page each time.
 */
export async function insertApiKey(
  sql: postgres.Sql,
  options: { team: string; createdBy: string; scopes?: string[]; name?: string },
): Promise<TestKey> {
  const prefix = randomBytes(6).toString("hex").slice(0, 8);
  const key = `rb_${prefix}_${randomBytes(32).toString("base64url")}`;
  const hash = createHash("sha256").update(key).digest("hex");
  const scopes = options.scopes ?? ["jobs:read", "jobs:write"];
  const [row] = await sql<{ id: string }[]>`
    insert into api_keys (team_id, name, prefix, key_hash, scopes, created_by)
    select t.id, ${options.name ?? `e2e ${prefix}`}, ${prefix}, ${hash}, ${`{${scopes.join(",")}}`}::text[], u.id
    from teams t, users u where t.slug = ${options.team} and u.email = ${options.createdBy}
    returning id`;
  if (!row) throw new Error(`No team ${options.team} or user ${options.createdBy}`);
  return { id: row.id, key, prefix };
}

/** A project of a team for one spec, so specs holding a job type's overlap slot do not collide. */
export async function ensureProject(sql: postgres.Sql, team: string, slug: string): Promise<string> {
  await sql`insert into projects (team_id, slug, name) select id, ${slug}, ${slug} from teams where slug = ${team} on conflict (slug) do nothing`;
  const [row] = await sql<{ id: string }[]>`select id from projects where slug = ${slug}`;
  return row!.id;
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
