/**
 * `runboard new job <name>`: scaffolds a job type in the team's jobs/ folder (definition, handler,
 * a test through the real engine) and registers it in jobs/index.ts. Local, no server needed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { EXIT } from "./exit-codes";

export const NEW_JOB_USAGE = `Usage: runboard new job <name> [--label <text>] [--description <text>]

  Scaffolds a job type in jobs/ and registers it in jobs/index.ts:
    jobs/<name>.ts           the definition: payload (zod), retry, schedule, overlap, timeout
    jobs/<name>.handler.ts   the work; only workers load it
    jobs/<name>.test.ts      a test that runs the handler through the real engine (performJob)

  <name> is lower-case words joined by - or _, e.g. sync-invoices: the files are
  jobs/sync-invoices*.ts and the job type is sync_invoices.
  --label        the name people see (default: from <name>, e.g. "Sync invoices")
  --description  one sentence on what a run does (shown on the Jobs page)`;

/** A refusal the user can act on; nothing was written. */
export class ScaffoldError extends Error {}

export type JobNames = { kebab: string; snake: string; camel: string; pascal: string; label: string };

const NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
// The definition's name becomes a variable in jobs/index.ts and the handler file.
const RESERVED = new Set(
  "await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield index".split(" "),
);

/** The spellings a job type needs, from what was typed; refuses what cannot be a job name. */
export function jobNames(input: string): JobNames {
  const raw = input.trim();
  if (!raw) throw new ScaffoldError("Name the job type: runboard new job <name>, e.g. runboard new job sync-invoices.");
  if (!NAME.test(raw)) {
    const hint = raw
      .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^[-0-9]+|-+$/g, "");
    throw new ScaffoldError(`"${raw}" is not a job name: use lower-case words joined by - or _ (a-z, 0-9), starting with a letter${hint ? `, e.g. ${hint}` : ""}.`);
  }
  const words = raw.split(/[-_]/);
  const snake = words.join("_");
  if (snake.length > 63) throw new ScaffoldError(`"${raw}" is too long: a job name has at most 63 characters.`);
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
  if (RESERVED.has(camel)) throw new ScaffoldError(`"${raw}" is a reserved word in JavaScript (or jobs/index.ts); pick a longer name, e.g. ${raw}-records.`);
  const label = words.join(" ");
  return { kebab: words.join("-"), snake, camel, pascal: camel[0]!.toUpperCase() + camel.slice(1), label: label[0]!.toUpperCase() + label.slice(1) };
}

const quote = (text: string) => JSON.stringify(text);

export function definitionSource(n: JobNames, description: string): string {
  return `import { z } from "zod";
import { defineJob } from "@/lib/jobs/define";

/** What a run takes: the Run form, the API and the CLI validate with it, the worker parses with it. */
export const ${n.camel}Payload = z.object({
  items: z.number().int().min(1).max(10_000).default(10).meta({ title: "Items" }),
});
export type ${n.pascal}Payload = z.output<typeof ${n.camel}Payload>;

export default defineJob({
  name: ${quote(n.snake)},
  label: ${quote(n.label)},
  description: ${quote(description)},
  scope: "project",
  payload: ${n.camel}Payload,
  // Two retries after the first attempt, the first after 10 s, then backing off with jitter.
  retry: { limit: 2, delaySeconds: 10, backoff: true },
  // A cron expression (UTC) runs it on a schedule; null: it runs when someone triggers it.
  schedule: null,
  // One active run per project; "resource" (with a resource() that names it) or "none" allow more.
  overlap: "project",
  // An attempt running longer is aborted and fails as a timeout (then retried per the policy).
  timeoutSeconds: 15 * 60,
  // Only workers load the handler, so its code and dependencies stay out of the web app.
  handler: () => import("./${n.kebab}.handler"),
});
`;
}

export function handlerSource(n: JobNames): string {
  return `import { setTimeout as sleep } from "node:timers/promises";
import type { JobHandler } from "@/lib/jobs/define";
import type { ${n.pascal}Payload } from "./${n.kebab}";

/**
 * ${n.label}. Runs on a worker: report progress, name the steps, and stop when the run is
 * cancelled or times out (ctx.signal aborts). What it returns is stored as the run's result.
 */
const ${n.camel}: JobHandler<${n.pascal}Payload> = async (ctx) => {
  const items = await ctx.step("prepare", async () => Array.from({ length: ctx.payload.items }, (_, i) => i + 1));
  ctx.stage("processing");
  let processed = 0;
  for (const item of items) {
    if (ctx.isCancelled()) break;
    await processItem(item, ctx.signal);
    processed++;
    ctx.progress({ processed, total: items.length, message: \`Item \${processed} of \${items.length}\` });
  }
  return { processed };
};

/**
 * One item's work: replace it with yours (ctx.db reaches the database; ctx.fetch makes HTTP calls
 * that show on the run page). Pass the signal on, so a cancel stops a call mid-way.
 */
async function processItem(_item: number, signal: AbortSignal): Promise<void> {
  await sleep(10, undefined, { signal });
}

export default ${n.camel};
`;
}

export function testSource(n: JobNames): string {
  return `import { expect, test } from "vitest";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import ${n.camel} from "./${n.kebab}";

// A database of this file's own; performJob runs the handler in it through the worker's engine.
setupJobTestDatabase();

test("${n.snake} completes with progress, steps and its result stored", async () => {
  const run = await performJob(${n.camel}, { items: 3 });
  expect(run.status).toBe("completed");
  expect(run.result).toEqual({ processed: 3 });
  expect(run.progress).toMatchObject({ processed: 3, total: 3 });
  expect(run.steps.map((s) => \`\${s.name}:\${s.status}\`)).toContain("prepare:completed");
});

test("${n.snake} stops when the run is cancelled", async () => {
  const run = await performJob(${n.camel}, { items: 5000 }, { cancelAfterMs: 200 });
  expect(run.status).toBe("cancelled");
  expect(run.progress.processed).toBeLessThan(5000);
});

test("${n.snake} refuses a payload its schema does not accept", async () => {
  await expect(performJob(${n.camel}, { items: 0 })).rejects.toThrow(/items/);
});
`;
}

/** jobs/index.ts with the new definition imported and listed in JOBS; refuses a shape it does not know. */
export function registerInIndex(source: string, n: JobNames): string {
  const list = /export const JOBS = \[([\s\S]*?)\] as const;/.exec(source);
  if (!list) throw new ScaffoldError(`jobs/index.ts has no \`export const JOBS = [...] as const;\`: add ${n.camel} (import ${n.camel} from "./${n.kebab}") to your list by hand.`);
  const body = list[1]!;
  const entries = body.split(",").map((e) => e.trim()).filter(Boolean);
  const listed = body.includes("\n") ? `${body.replace(/\s*$/, "")}${entries.length && !body.trimEnd().endsWith(",") ? "," : ""}\n  ${n.camel},\n` : [...entries, n.camel].join(", ");
  let next = source.slice(0, list.index) + `export const JOBS = [${listed}] as const;` + source.slice(list.index + list[0].length);
  const importLine = `import ${n.camel} from "./${n.kebab}";`;
  const imports = [...next.matchAll(/^import \S+ from "(\.\/[^"]+)";$/gm)];
  const after = imports.filter((m) => m[1]! < `./${n.kebab}`).at(-1);
  const before = imports.find((m) => m[1]! > `./${n.kebab}`);
  if (after) next = next.slice(0, after.index + after[0].length) + `\n${importLine}` + next.slice(after.index + after[0].length);
  else if (before) next = next.slice(0, before.index) + `${importLine}\n` + next.slice(before.index);
  else next = `${importLine}\n${next}`;
  return next;
}

export type ScaffoldResult = { names: JobNames; files: string[] };

/** Writes the three files and the registration, or refuses before writing anything. */
export async function scaffoldJob(root: string, input: { name: string; label?: string; description?: string }): Promise<ScaffoldResult> {
  const names = jobNames(input.name);
  if (input.label !== undefined) {
    const label = input.label.trim();
    if (!label || label.length > 80) throw new ScaffoldError("--label takes 1 to 80 characters.");
    names.label = label;
  }
  const description = input.description?.trim() || `${names.label}: say here in one sentence what a run does (shown on the Jobs page).`;
  if (description.length > 500) throw new ScaffoldError("--description takes at most 500 characters.");
  const jobsDir = path.join(root, "jobs");
  const indexFile = path.join(jobsDir, "index.ts");
  if (!existsSync(indexFile)) throw new ScaffoldError(`No jobs/index.ts under ${root}: run this in a Runboard checkout.`);
  const files = {
    [`jobs/${names.kebab}.ts`]: definitionSource(names, description),
    [`jobs/${names.kebab}.handler.ts`]: handlerSource(names),
    [`jobs/${names.kebab}.test.ts`]: testSource(names),
  };
  const taken = Object.keys(files).filter((f) => existsSync(path.join(root, f)));
  if (taken.length) throw new ScaffoldError(`${taken.join(", ")} already exist${taken.length === 1 ? "s" : ""}: pick another name, or remove ${taken.length === 1 ? "it" : "them"} first.`);
  const existing = await existingJobNames();
  if (existing.has(names.snake)) throw new ScaffoldError(`A job type named ${names.snake} already exists (see jobs/index.ts and lib/jobs/system/): pick another name.`);
  const index = registerInIndex(readFileSync(indexFile, "utf8"), names);
  for (const [file, source] of Object.entries(files)) writeFileSync(path.join(root, file), source, { flag: "wx" });
  writeFileSync(indexFile, index);
  return { names, files: [...Object.keys(files), "jobs/index.ts"] };
}

/** Every job type the catalog knows (the team's and Runboard's own): a new one must not reuse a name. */
async function existingJobNames(): Promise<Set<string>> {
  try {
    const { JOB_DEFINITIONS } = await import("@/lib/jobs/catalog");
    return new Set(JOB_DEFINITIONS.map((d) => d.name));
  } catch (error) {
    throw new ScaffoldError(`The job catalog does not load, so the name cannot be checked; fix this first:\n${error instanceof Error ? error.message : String(error)}`);
  }
}

export function nextSteps({ names, files }: ScaffoldResult): string {
  return `Created job type ${names.snake} ("${names.label}"):
${files.map((f) => `  ${f}${f.endsWith("index.ts") ? "   (registered in JOBS)" : ""}`).join("\n")}

Next:
  1. Put the payload in jobs/${names.kebab}.ts and the work in jobs/${names.kebab}.handler.ts.
  2. Test it: npx vitest run jobs/${names.kebab}.test.ts
  3. Restart Runboard (npm start, or the worker and web): "${names.label}" shows on every
     project's Jobs page, ready to run. See docs/jobs.md.`;
}

/** `runboard new job ...`; returns the exit code. */
export async function newJobCommand(argv: string[], root: string): Promise<number> {
  if (argv[0] !== "job") {
    console.log(NEW_JOB_USAGE);
    return argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" ? EXIT.ok : EXIT.usage;
  }
  let parsed: { values: { help?: boolean; label?: string; description?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv.slice(1), options: { help: { type: "boolean", short: "h" }, label: { type: "string" }, description: { type: "string" } }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${NEW_JOB_USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    console.log(NEW_JOB_USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length > 1) {
    console.error(`One name at a time (got ${parsed.positionals.length}): runboard new job <name>.`);
    return EXIT.usage;
  }
  try {
    const result = await scaffoldJob(root, { name: parsed.positionals[0] ?? "", label: parsed.values.label, description: parsed.values.description });
    console.log(nextSteps(result));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ScaffoldError)) throw error;
    console.error(error.message);
    return EXIT.usage;
  }
}
