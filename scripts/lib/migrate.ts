import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { createDatabase } from "@/lib/db/client";
import { installQueues } from "@/lib/jobs/boss";

const MIGRATIONS = path.resolve(import.meta.dirname, "../../drizzle");

/** Apply the committed drizzle migrations, then pg-boss's schema and one queue per job type. */
export async function migrateDatabase(url: string): Promise<void> {
  const database = createDatabase(url, { max: 1 });
  try {
    await migrate(database.db, { migrationsFolder: MIGRATIONS });
  } finally {
    await database.close();
  }
  await installQueues(url);
}
