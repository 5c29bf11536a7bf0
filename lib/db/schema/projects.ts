import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { teams } from "./teams";

export const projects = pgTable(
  "projects",
  {
    id: id(),
    teamId: uuid("team_id").notNull().references(() => teams.id, { onDelete: "cascade" }),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** Soft delete: the soft_delete_cleanup system job hard-deletes after 7 days. */
    deletedAt: tstz("deleted_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("projects_slug_key").on(t.slug), index("projects_team_idx").on(t.teamId)],
);
