import path from "node:path";
import postgres from "postgres";
import { freePort, startEmbeddedPostgres, type EmbeddedCluster } from "./embedded-pg";
import { migrateDatabase } from "./migrate";

export const TEMPLATE_DB = "runboard_template";

/**
 * A throwaway Postgres for tests (fsync off: the data is disposable) with a migrated template
 * database; every test file clones it, which takes milliseconds.
 */
export async function startTestCluster(root: string): Promise<EmbeddedCluster> {
  const cluster = await startEmbeddedPostgres({
    dataDir: path.join(root, ".data", "pg-test"),
    port: await freePort(),
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" },
    log: () => undefined,
  });
  const admin = postgres(cluster.url("postgres"), { max: 1, onnotice: () => undefined });
  try {
    // Databases from earlier runs of a kept cluster are dropped, the template rebuilt from migrations.
    const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'rb_%' or datname = ${TEMPLATE_DB}`;
    for (const { datname } of stale) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
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
