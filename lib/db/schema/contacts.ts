import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "./columns";
import { projects } from "./projects";

/** The business records a project keeps; the contacts import job writes them row by row. */
export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    projectId: uuid("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    name: text("name"),
    company: text("company"),
    createdAt: createdAt(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("contacts_project_email_key").on(t.projectId, t.email), index("contacts_project_idx").on(t.projectId, t.id)],
);
