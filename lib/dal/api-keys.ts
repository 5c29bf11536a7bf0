import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { GRANTABLE_PERMISSIONS, KEY_SCOPES, isKeyScope, permissionsFor, type GrantablePermission, type KeyScope } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { apiKeys, projects, teamMembers, teams, users } from "@/lib/db/schema";
import { actorOf, requireTeamPermission } from "./access";
import { currentApiPrincipal, type ApiPrincipal } from "./principal";

/** Keys look like `rb_<8 visible chars>_<secret>`; the prefix is what the settings page shows. */
const KEY_PATTERN = /^rb_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32,64})$/;
const MAX_KEYS_LISTED = 100;
/** last_used_at is a hint, not a log: write it at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const DEFAULT_KEY_SCOPES: readonly GrantablePermission[] = GRANTABLE_PERMISSIONS;

export const apiKeyInput = z.object({
  name: z.string().trim().min(1, "Give the key a name.").max(80, "Keep the name under 80 characters."),
  scopes: z.array(z.enum(KEY_SCOPES)).min(1, "Choose at least one scope.").default([...DEFAULT_KEY_SCOPES]),
});
export type ApiKeyInput = z.input<typeof apiKeyInput>;

export const hashApiKey = (key: string): string => createHash("sha256").update(key).digest("hex");

function alphanumeric(bytes: number): string {
  return randomBytes(bytes).toString("base64url").replace(/[-_]/g, "").slice(0, bytes);
}

export type CreatedApiKey = { id: string; name: string; prefix: string; scopes: KeyScope[]; key: string };

/** Create a key for the team (team:manage). The plaintext key is returned here and never again. */
export async function createApiKey(teamSlug: string, input: ApiKeyInput): Promise<CreatedApiKey> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const { name, scopes } = apiKeyInput.parse(input);
  const prefix = alphanumeric(8).padEnd(8, "0");
  const key = `rb_${prefix}_${randomBytes(32).toString("base64url")}`;
  const { db } = getDatabase();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ teamId: access.team.id, name, prefix, keyHash: hashApiKey(key), scopes: [...new Set(scopes)], createdBy: access.user.id })
      .returning({ id: apiKeys.id });
    if (!row) throw new Error("The API key was not stored.");
    await recordAudit(tx, { action: "api_key.created", actor: actorOf(access), teamId: access.team.id, details: { keyId: row.id, name, prefix, scopes } });
    return { id: row.id, name, prefix, scopes: [...new Set(scopes)], key };
  });
}

export type ApiKeyListItem = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

/** The team's keys, active first then newest first (team:manage); never the hash. */
export async function listApiKeys(teamSlug: string): Promise<ApiKeyListItem[]> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  const { db } = getDatabase();
  const rows = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      scopes: apiKeys.scopes,
      createdBy: users.name,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .where(eq(apiKeys.teamId, access.team.id))
    .orderBy(sql`${apiKeys.revokedAt} is not null`, desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(MAX_KEYS_LISTED);
  return rows.map((r) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  }));
}

/** Revoke a key of the team (team:manage); the next request with it is refused. */
export async function revokeApiKey(teamSlug: string, keyId: string): Promise<"revoked" | "not_found"> {
  const access = await requireTeamPermission(teamSlug, "team:manage");
  if (!z.uuid().safeParse(keyId).success) return "not_found";
  const { db } = getDatabase();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date(), revokedBy: access.user.id })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.teamId, access.team.id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix });
    if (!row) return "not_found";
    await recordAudit(tx, { action: "api_key.revoked", actor: actorOf(access), teamId: access.team.id, details: { keyId: row.id, name: row.name, prefix: row.prefix } });
    return "revoked";
  });
}

/**
 * The principal for a bearer token, read on every request (so a revocation is effective on the
 * next one); null when the token is malformed, unknown, revoked, or its creator is gone, disabled
 * or no longer in the key's team. A key acts for its creator as a team member and never with the
 * creator's instance role (support, owner): its scopes count only while the creator still holds
 * them through that membership (read in the same query), so demoting someone takes the same
 * rights from their keys and removing them stops their keys.
 */
export async function authenticateApiKey(token: string): Promise<ApiPrincipal | null> {
  if (!KEY_PATTERN.test(token)) return null;
  const { db } = getDatabase();
  const [row] = await db
    .select({
      id: apiKeys.id,
      teamId: apiKeys.teamId,
      scopes: apiKeys.scopes,
      lastUsedAt: apiKeys.lastUsedAt,
      userId: users.id,
      email: users.email,
      name: users.name,
      role: teamMembers.role,
      grants: teamMembers.grants,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.createdBy))
    .innerJoin(teamMembers, and(eq(teamMembers.teamId, apiKeys.teamId), eq(teamMembers.userId, apiKeys.createdBy)))
    .where(and(eq(apiKeys.keyHash, hashApiKey(token)), isNull(apiKeys.revokedAt), isNull(users.disabledAt)));
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(Date.now() - LAST_USED_RESOLUTION_MS)))));
  }
  // The membership alone: an instance role must not reach through a key (support's unredacted
  // reads, support's jobs:read in every team).
  const held = permissionsFor({ role: row.role, grants: row.grants }, "user");
  return {
    keyId: row.id,
    teamId: row.teamId,
    scopes: new Set(row.scopes.filter(isKeyScope).filter((scope) => held.has(scope))),
    createdBy: { id: row.userId, email: row.email, name: row.name, instanceRole: "user" },
  };
}

export type KeyProjectItem = { slug: string; name: string; teamName: string };

/** The projects the current API key's team owns (the key sees nothing else). */
export async function listKeyProjects(): Promise<KeyProjectItem[]> {
  const key = currentApiPrincipal();
  if (!key) return [];
  const { db } = getDatabase();
  return db
    .select({ slug: projects.slug, name: projects.name, teamName: teams.name })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .where(and(eq(projects.teamId, key.teamId), isNull(projects.deletedAt)))
    .orderBy(asc(projects.name), asc(projects.slug))
    .limit(200);
}
