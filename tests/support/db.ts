import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDatabase, type Database } from "@/lib/db/client";
import { createDatabaseFromTemplate } from "@/scripts/lib/test-cluster";

export type TestDatabase = Database & { url: string; drop: () => Promise<void> };

/** A real, migrated Postgres database of the test's own (pg-boss schema and queues included). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `rb_${randomBytes(6).toString("hex")}`;
  const url = await createDatabaseFromTemplate(adminUrl, name);
  const database = createDatabase(url, { max: 20 });
  return {
    ...database,
    url,
    drop: async () => {
      await database.close();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
