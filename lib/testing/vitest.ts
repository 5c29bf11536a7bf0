import { afterAll, beforeAll } from "vitest";
import { createTestDatabase } from "@/tests/support/db";
import { openJobTestDatabase, setDefaultJobTestDatabase, type JobTestDatabase } from "./perform-job";

/**
 * Gives this test file a database of its own (cloned from the migrated template in milliseconds)
 * that performJob uses by default, and drops it after the file. Call it at the top of the file.
 */
export function setupJobTestDatabase(): () => JobTestDatabase {
  let opened: JobTestDatabase | null = null;
  let drop: (() => Promise<void>) | null = null;
  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    opened = await openJobTestDatabase(t.url, t);
    setDefaultJobTestDatabase(opened);
  });
  afterAll(async () => {
    setDefaultJobTestDatabase(null);
    await opened?.close();
    await drop?.();
  });
  return () => {
    if (!opened) throw new Error("The job test database opens in beforeAll: use it inside a test.");
    return opened;
  };
}
