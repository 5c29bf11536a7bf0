import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, test } from "vitest";

// The rule in eslint.config.mjs, run on code as it would sit in each place.
const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports").map((m) => m.message);
}

const WORKER_ONLY = [
  'import handler from "@/jobs/contacts-import.handler";',
  'import handler from "@/lib/jobs/system/db-pruning.handler";',
  'import { sweepStaleRuns } from "@/lib/jobs/worker/recovery";',
  'import { Runner } from "@/workers/runner";',
];

describe("the web never imports worker-only code", () => {
  for (const file of ["app/(dashboard)/projects/[slug]/jobs/probe.ts", "lib/dal/probe.ts", "lib/api/probe.ts", "proxy.ts"]) {
    test(`${file}: handlers, lib/jobs/worker and workers/ are refused; definitions are allowed`, { timeout: 60_000 }, async () => {
      for (const line of WORKER_ONLY) expect(await restrictedImports(file, `${line}\nexport const x = [];\n`), line).toEqual([expect.stringContaining("Worker-only code")]);
      expect(await restrictedImports(file, 'import def from "@/jobs/contacts-import";\nimport { getJobDefinition } from "@/lib/jobs/catalog";\nexport const x = [def, getJobDefinition];\n')).toEqual([]);
    });
  }

  test("the worker itself may import them", { timeout: 60_000 }, async () => {
    expect(await restrictedImports("workers/probe.ts", `${WORKER_ONLY.join("\n")}\nexport const x = [];\n`)).toEqual([]);
  });
});
