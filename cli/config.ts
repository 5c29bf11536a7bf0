import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type CliConfig = { url?: string; apiKey?: string; project?: string };

/** ~/.config/runboard/config.json (or under $XDG_CONFIG_HOME). */
export function configPath(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "runboard", "config.json");
}

export function readConfig(): CliConfig {
  try {
    const parsed: unknown = JSON.parse(readFileSync(configPath(), "utf8"));
    if (!parsed || typeof parsed !== "object") return {};
    const { url, apiKey, project } = parsed as Record<string, unknown>;
    return { url: typeof url === "string" ? url : undefined, apiKey: typeof apiKey === "string" ? apiKey : undefined, project: typeof project === "string" ? project : undefined };
  } catch {
    return {};
  }
}

/** Written readable by the owner only: the file holds a secret. */
export function writeConfig(config: CliConfig): string {
  const file = configPath();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Environment first (RUNBOARD_URL, RUNBOARD_API_KEY, RUNBOARD_PROJECT), then the config file. */
export function resolveSettings(): CliConfig {
  const file = readConfig();
  return {
    url: process.env.RUNBOARD_URL || file.url,
    apiKey: process.env.RUNBOARD_API_KEY || file.apiKey,
    project: process.env.RUNBOARD_PROJECT || file.project,
  };
}
