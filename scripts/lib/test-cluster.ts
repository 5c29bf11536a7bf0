import { mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { alive, freePort, startEmbeddedPostgres, type EmbeddedCluster } from "./embedded-pg";
import { migrateDatabase } from "./migrate";

export const TEMPLATE_DB = "runboard_template";

/**
 * A throwaway Postgres for tests (fsync off: the data is disposable) with a migrated template
 * database; every test file clones it, which takes milliseconds.
 * Each test or bench process gets its own cluster (.data/pg-<purpose>-<pid>), so
 * concurrent runs never share, or stop, each other's Postgres. Leftovers of dead processes go.
 */
export async function startTestCluster(root: string, purpose = "test"): Promise<EmbeddedCluster> {
  const base = path.join(root, ".data");
  mkdirSync(base, { recursive: true });
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const m = /^pg-[a-z]+-(\d+)$/.exec(entry.name);
    if (entry.isDirectory() && m && !alive(Number(m[1]))) rmSync(path.join(base, entry.name), { recursive: true, force: true });
  }
  const dataDir = path.join(base, `pg-${purpose}-${process.pid}`);
  const started = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" },
    log: () => undefined,
  });
  const cluster: EmbeddedCluster = {
    ...started,
    stop: async () => {
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const admin = postgres(cluster.url("postgres"), { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(cluster.url(TEMPLATE_DB));
  return cluster;
}

/** A fresh database cloned from the template. */
export async function createDatabaseFromTemplate(adminUrl: string, name: string): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}" template "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`);
}
