#!/usr/bin/env node
// `npx runboard` / `runboard`: runs the TypeScript CLI (cli/runboard.ts) through tsx, no build step.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
register({ tsconfig: path.join(root, "tsconfig.json") });
await import(pathToFileURL(path.join(root, "cli", "runboard.ts")).href);
