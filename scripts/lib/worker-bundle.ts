import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { sourceDigest } from "./build-state";

/**
 * The worker entry another Node service imports (`runboard/worker`, docs/external-workers.md) is a
 * bundle, not the TypeScript sources: the sources use the `@/` path alias, which tsx does not
 * resolve inside another package's node_modules, and a service should not need tsx at all.
 * Everything under lib/, workers/ and jobs/ is bundled; packages stay imports (node_modules).
 */
export const WORKER_BUNDLE = path.join("dist", "worker.mjs");
const OUT_DIR = "dist";

const INPUTS = ["lib", "workers", "jobs", "scripts/lib/worker-bundle.ts", "tsconfig.json", "package.json", "package-lock.json"];

type EsbuildApi = { build: (options: Record<string, unknown>) => Promise<{ errors: unknown[] }> };

/** esbuild as tsx's own dependency: present wherever tsx runs, dev dependencies or not. */
function esbuild(root: string): EsbuildApi {
  return createRequire(path.join(root, "node_modules", "tsx", "package.json"))("esbuild") as EsbuildApi;
}

export async function buildWorkerBundle(root: string): Promise<void> {
  rmSync(path.join(root, OUT_DIR), { recursive: true, force: true });
  await esbuild(root).build({
    entryPoints: { worker: path.join(root, "workers", "public.ts") },
    outdir: path.join(root, OUT_DIR),
    outExtension: { ".js": ".mjs" },
    // Handlers stay lazy (their own chunks): a service loads the code of the types it serves only.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Node's ESM loader needs the file of a deep CommonJS import that tsx resolves without one.
    alias: { "nodemailer/lib/smtp-transport": "nodemailer/lib/smtp-transport/index.js" },
    tsconfig: path.join(root, "tsconfig.json"),
    sourcemap: true,
    logLevel: "warning",
    banner: { js: "// Built from workers/public.ts by scripts/lib/worker-bundle.ts; do not edit." },
  });
}

/** Bundle unless the last bundle is of exactly these sources; returns whether it built. */
export async function ensureWorkerBundle(root: string): Promise<boolean> {
  mkdirSync(path.join(root, ".data"), { recursive: true });
  const digestFile = path.join(root, ".data", "worker-bundle-digest");
  const digest = sourceDigest(root, INPUTS);
  if (existsSync(path.join(root, WORKER_BUNDLE)) && existsSync(digestFile) && readFileSync(digestFile, "utf8") === digest) return false;
  await buildWorkerBundle(root);
  writeFileSync(digestFile, digest);
  return true;
}
