import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { users } from "./users";

/**
 * A signed-in browser. The session cookie (Auth.js JWT) carries this row's id, and every request
 * checks the row is live, so signing out, a password change or disabling the user ends it at once.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: id(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    /** Touched at most once a minute; each touch also slides expires_at. */
    lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
    revokedAt: tstz("revoked_at"),
    /** Shown on the account page so people recognise their devices; never used to decide access. */
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (t) => [index("user_sessions_user_idx").on(t.userId, t.lastSeenAt.desc())],
);
