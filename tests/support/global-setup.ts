import path from "node:path";
import type { TestProject } from "vitest/node";
import { startTestCluster } from "@/scripts/lib/test-cluster";

/**
 * `npm test` hands us a running test cluster (RUNBOARD_TEST_PG_URL); run on its own, vitest
 * starts one here and stops it afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop: () => Promise<void> = async () => undefined;
  if (!process.env.RUNBOARD_TEST_PG_URL) {
    const cluster = await startTestCluster(path.resolve(import.meta.dirname, "../.."));
    process.env.RUNBOARD_TEST_PG_URL = cluster.url("postgres");
    stop = () => cluster.stop();
  }
  project.provide("pgAdminUrl", process.env.RUNBOARD_TEST_PG_URL);
  return stop;
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
