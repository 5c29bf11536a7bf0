import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { TEAM_ROLES } from "./team-members";
import { teams } from "./teams";
import { users } from "./users";

/**
 * An invitation to join a team, sent as an email through the notifications outbox. The link
 * carries a random token; only its sha256 is stored.
 */
export const teamInvites = pgTable(
  "team_invites",
  {
    id: id(),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: TEAM_ROLES }).notNull(),
    grants: text("grants").array().notNull().default(sql`'{}'::text[]`),
    tokenHash: text("token_hash").notNull(),
    invitedBy: uuid("invited_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: tstz("expires_at").notNull(),
    acceptedAt: tstz("accepted_at"),
    revokedAt: tstz("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("team_invites_token_key").on(t.tokenHash),
    // One open invite per address per team; a new invite replaces (revokes) the old one.
    uniqueIndex("team_invites_open_email_key")
      .on(t.teamId, sql`lower(${t.email})`)
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
    index("team_invites_team_idx").on(t.teamId, t.createdAt.desc()),
  ],
);
