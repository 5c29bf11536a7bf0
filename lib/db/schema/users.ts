import { sql } from "drizzle-orm";
import { pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";

/** Instance-wide roles, independent of any team: support reads every team's runs unredacted. */
export const INSTANCE_ROLES = ["user", "support", "owner"] as const;
export type InstanceRole = (typeof INSTANCE_ROLES)[number];

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    passwordHash: text("password_hash").notNull(),
    instanceRole: text("instance_role", { enum: INSTANCE_ROLES }).notNull().default("user"),
    /** Set by the instance owner: the user's sessions and API keys stop working at once. */
    disabledAt: tstz("disabled_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`)],
);
