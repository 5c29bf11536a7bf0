import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const INPUTS = ["app", "lib", "public", "proxy.ts", "instrumentation.ts", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json"];

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
}

/** A digest of everything `next build` reads (or `inputs`), so an unchanged tree skips the build. */
export function sourceDigest(root: string, inputs: readonly string[] = INPUTS): string {
  const files: string[] = [];
  for (const input of inputs) {
    const full = path.join(root, input);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) walk(full, files);
    else files.push(full);
  }
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** `next build` unless the last build is of exactly these sources; returns whether it built. */
export function ensureBuilt(root: string): boolean {
  mkdirSync(path.join(root, ".data"), { recursive: true });
  const digestFile = path.join(root, ".data", "build-digest");
  const digest = sourceDigest(root);
  if (existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(digestFile) && readFileSync(digestFile, "utf8") === digest) return false;
  execFileSync(path.join(root, "node_modules", ".bin", "next"), ["build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  writeFileSync(digestFile, digest);
  return true;
}
