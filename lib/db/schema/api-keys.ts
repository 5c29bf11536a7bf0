import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { teams } from "./teams";
import { users } from "./users";

/**
 * API keys for agents and the CLI (seed 002: jobs:read and jobs:write by default). Only a hash
 * of the secret is stored; `prefix` is the visible start that lets people recognise a key.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    /** sha256 hex of the whole key: keys are long random strings, so a fast hash is enough. */
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes").array().notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: tstz("last_used_at"),
    revokedAt: tstz("revoked_at"),
    revokedBy: uuid("revoked_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_keys_hash_key").on(t.keyHash), index("api_keys_team_idx").on(t.teamId, t.createdAt.desc())],
);
