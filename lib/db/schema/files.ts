import { sql } from "drizzle-orm";
import { customType, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { projects } from "./projects";
import { users } from "./users";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** Files uploaded for import jobs and files produced by export jobs; kept in Postgres so a
 * self-hosted install needs no object store. Size is bounded where files are created. */
export const files = pgTable(
  "files",
  {
    id: id(),
    projectId: uuid("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    content: bytea("content").notNull(),
    /**
     * SHA-256 (hex) of an upload's content. The same content under the same name in a project is
     * stored once, so it is one resource: a job type with overlap "resource" refuses a second
     * import of it while one is active. Null for files the jobs produce.
     */
    sha256: text("sha256"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("files_project_idx").on(t.projectId, t.createdAt),
    uniqueIndex("files_one_upload").on(t.projectId, t.name, t.sha256).where(sql`${t.sha256} is not null`),
  ],
);
