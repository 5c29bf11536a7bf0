/**
 * `runboard`: trigger and follow Runboard jobs from a terminal or a script, through /api/v1 with
 * a team API key; plus local operator commands for system jobs. `runboard --help` for the list.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ApiClient, CliFailure } from "./client";
import { parseDelay } from "./duration";
import { configPath, readConfig, resolveSettings, writeConfig } from "./config";
import { EXIT, EXIT_HELP, exitForStatus } from "./exit-codes";
import { ProgressView, type RunSnapshot } from "./progress";
import { systemCommand, SYSTEM_USAGE } from "./system";

const MAIN_HELP = `runboard: trigger and follow Runboard jobs (API key), and operate system jobs (local).

Usage: runboard <command> [options]

  login                     store the server URL and an API key in ${"~/.config/runboard/config.json"}
  projects list             the projects of the key's team
  projects create|rename|delete|restore
                            manage the team's projects (key scope team:manage; delete is undone for 7 days)
  jobs list                 the project's job types, last runs and payload fields
  jobs run <type>           trigger a job (--payload, --file, --notify, --wait; later: --at, --in)
  runs list                 runs of a project, newest first (--status, --job-type, --cursor)
  runs show <id>            one run: status, progress, error
  runs cancel <id>          cancel a pending or running run
  runs retry <id>           re-drive a failed or dead-lettered run
  runs retry-now <id>       start a pending retry now, skipping its backoff wait
  system list|run|show      operator commands against DATABASE_URL (no API key)
  admin create              create an instance owner (local, DATABASE_URL; password hidden or --password-stdin)
  new job <name>            scaffold a job type in jobs/ (definition, handler, test) and register it

Every command takes --help. API commands take --json (machine-readable output on stdout) and
--project <slug> (or RUNBOARD_PROJECT, or the project saved by login).
Settings come from RUNBOARD_URL and RUNBOARD_API_KEY when set, else from the config file.

${EXIT_HELP}`;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Command = { usage: string; options: Options; run: (values: Record<string, string | boolean | string[] | undefined>, positionals: string[]) => Promise<number> };

const common: Options = { help: { type: "boolean", short: "h" }, json: { type: "boolean" }, project: { type: "string", short: "p" } };

function print(json: boolean, data: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(data, null, 2) : text());
}

function client(): ApiClient {
  const { url, apiKey } = resolveSettings();
  if (!url || !apiKey) throw new CliFailure("Not logged in: run `runboard login --url <server>` or set RUNBOARD_URL and RUNBOARD_API_KEY.", EXIT.auth);
  return new ApiClient(url, apiKey);
}

function projectOf(values: Record<string, unknown>): string {
  const project = typeof values.project === "string" ? values.project : resolveSettings().project;
  if (!project) throw new CliFailure("Name the project with --project <slug> (see `runboard projects list`).", EXIT.usage);
  return encodeURIComponent(project);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").slice(0, 19) : "—");

type Project = { slug: string; name: string; teamName: string };
type JobType = { name: string; label: string; description: string; lastRun: { id: string; status: string; queuedAt: string } | null; activeRunId: string | null; payloadSchema: { properties?: Record<string, { type?: string; default?: unknown }> } };
type RunItem = { id: string; jobType: string; status: string; attempts: number; queuedAt: string; durationMs: number | null; triggeredBy: { id: string; name: string } | null };
type Run = RunSnapshot & { scheduledFor?: string | null; jobType: string; attempts: number; maxAttempts: number; queuedAt: string; startedAt: string | null; completedAt: string | null; triggeredBy: string | null; result: unknown; error: (RunSnapshot["error"] & { type: string; subType: string; stack: string | null }) | null };

function requireArg(positionals: string[], what: string): string {
  const value = positionals[0];
  if (!value) throw new CliFailure(`Missing ${what}. See --help.`, EXIT.usage);
  return value;
}

function readPayload(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let text = raw;
  if (raw.startsWith("@")) {
    try {
      text = readFileSync(raw.slice(1), "utf8");
    } catch (error) {
      throw new CliFailure(`Cannot read ${raw.slice(1)}: ${error instanceof Error ? error.message : String(error)}`, EXIT.usage);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliFailure("--payload must be a JSON object (or @file with one).", EXIT.usage);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new CliFailure("--payload must be a JSON object.", EXIT.usage);
  return parsed as Record<string, unknown>;
}

/** `--file field=path`: the file goes inline (base64) as that payload field. */
function attachFiles(payload: Record<string, unknown>, specs: string[]): void {
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new CliFailure(`--file takes field=path, got "${spec}".`, EXIT.usage);
    const file = spec.slice(eq + 1);
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch (error) {
      throw new CliFailure(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, EXIT.usage);
    }
    payload[spec.slice(0, eq)] = { name: path.basename(file), encoding: "base64", content: content.toString("base64") };
  }
}

/** `--at` as given (the server checks it), or `--in` from now; never both. */
function runAtOf(at: string | undefined, delay: string | undefined): string | null {
  if (at !== undefined && delay !== undefined) throw new CliFailure("Give --at or --in, not both.", EXIT.usage);
  if (at !== undefined) {
    if (!at.trim()) throw new CliFailure("--at needs a time, e.g. 2026-12-02T16:30:00Z.", EXIT.usage);
    return at;
  }
  if (delay === undefined) return null;
  const parsed = parseDelay(delay);
  if (!parsed.ok) throw new CliFailure(parsed.message, EXIT.usage);
  return new Date(Date.now() + parsed.ms).toISOString();
}

function runSummary(run: Run): string {
  const status = run.scheduledFor ? `scheduled for ${when(run.scheduledFor)} UTC` : run.status;
  const lines = [`${run.id}  ${run.jobType}  ${status}  attempt ${run.attempts}/${run.maxAttempts}`, `queued ${when(run.queuedAt)}  started ${when(run.startedAt)}  finished ${when(run.completedAt)}  by ${run.triggeredBy ?? "—"}`];
  if (run.progress.processed !== null || run.progress.message) lines.push(`progress ${run.progress.processed ?? 0}/${run.progress.total ?? "?"}${run.stage ? `  stage ${run.stage}` : ""}  ${run.progress.message ?? ""}`.trimEnd());
  if (run.result !== null && run.result !== undefined) lines.push(`result ${JSON.stringify(run.result)}`);
  if (run.error) lines.push(`error ${run.error.type}/${run.error.subType}: ${run.error.message} (ref ${run.error.reference})${run.error.stack ? `\n${run.error.stack}` : ""}`);
  return lines.join("\n");
}

/** Poll about once a second until the run ends; the exit code follows its final status. */
async function waitFor(api: ApiClient, project: string, runId: string, json: boolean): Promise<number> {
  const view = new ProgressView(process.stderr);
  let run = await api.request<Run>("GET", `/projects/${project}/runs/${runId}`);
  const interrupt = () => {
    view.finish();
    process.stderr.write(`Stopped waiting; the run goes on: runboard runs show ${runId} --project ${decodeURIComponent(project)}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupt);
  try {
    for (;;) {
      view.update(run);
      if (run.terminal) break;
      await new Promise((r) => setTimeout(r, 1000));
      run = await api.request<Run>("GET", `/projects/${project}/runs/${runId}`);
    }
  } finally {
    process.off("SIGINT", interrupt);
    view.finish();
  }
  print(json, run, () => runSummary(run));
  return exitForStatus(run.status);
}

const COMMANDS: Record<string, Command> = {
  login: {
    usage: `Usage: runboard login --url <server> [--key <api key>] [--project <default slug>]
Checks the key against the server, then saves URL, key and default project to
${configPath()} (mode 0600). Without --key the key is read from stdin (prompted on a terminal),
so it stays out of your shell history: \`runboard login --url https://runboard.example\`.`,
    options: { ...common, url: { type: "string" }, key: { type: "string" } },
    run: async (values) => {
      const saved = readConfig();
      const url = (values.url as string | undefined) ?? process.env.RUNBOARD_URL ?? saved.url;
      if (!url) throw new CliFailure("Give the server with --url https://your-runboard.", EXIT.usage);
      try {
        new URL(url);
      } catch {
        throw new CliFailure(`Not a URL: ${url}`, EXIT.usage);
      }
      let key = values.key as string | undefined;
      if (!key) {
        const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: process.stdin.isTTY === true });
        key = (await rl.question(process.stdin.isTTY ? "API key (from Team settings → API keys): " : "")).trim();
        rl.close();
      }
      if (!key) throw new CliFailure("No API key given.", EXIT.usage);
      const { projects } = await new ApiClient(url, key).request<{ projects: Project[] }>("GET", "/projects");
      const project = (values.project as string | undefined) ?? saved.project;
      const file = writeConfig({ url, apiKey: key, project });
      const team = projects[0]?.teamName;
      print(values.json === true, { url, project: project ?? null, projects }, () => `Logged in to ${url}${team ? ` (team ${team}, ${projects.length} project${projects.length === 1 ? "" : "s"})` : ""}. Saved to ${file}.`);
      return EXIT.ok;
    },
  },
  "projects list": {
    usage: "Usage: runboard projects list [--json]\nThe projects of the key's team.",
    options: common,
    run: async (values) => {
      const { projects } = await client().request<{ projects: Project[] }>("GET", "/projects");
      print(values.json === true, projects, () => (projects.length ? table([["SLUG", "NAME", "TEAM"], ...projects.map((p) => [p.slug, p.name, p.teamName])]) : "No projects."));
      return EXIT.ok;
    },
  },
  "projects create": {
    usage: "Usage: runboard projects create <name> [--json]\nCreate a project in the key's team (the key needs the team:manage scope). Prints its slug.",
    options: common,
    run: async (values, positionals) => {
      const name = requireArg(positionals, "project name");
      const { project } = await client().request<{ project: Project }>("POST", "/projects", { name });
      print(values.json === true, project, () => `Created ${project.name} (${project.slug}).`);
      return EXIT.ok;
    },
  },
  "projects rename": {
    usage: "Usage: runboard projects rename <slug> <new name> [--json]\nRename a project (team:manage scope); its slug, and so every link and script, stays.",
    options: common,
    run: async (values, positionals) => {
      const slug = requireArg(positionals, "project slug");
      const name = requireArg(positionals.slice(1), "new name");
      const { project } = await client().request<{ project: Project }>("PATCH", `/projects/${encodeURIComponent(slug)}`, { name });
      print(values.json === true, project, () => `Renamed ${project.slug} to ${project.name}.`);
      return EXIT.ok;
    },
  },
  "projects delete": {
    usage: "Usage: runboard projects delete <slug> [--json]\nSoft-delete a project (team:manage scope): hidden at once, restorable for 7 days. Refused while a run is pending or running.",
    options: common,
    run: async (values, positionals) => {
      const slug = requireArg(positionals, "project slug");
      const { project } = await client().request<{ project: Project & { restoreUntil: string } }>("DELETE", `/projects/${encodeURIComponent(slug)}`);
      print(values.json === true, project, () => `Deleted ${project.name} (${project.slug}). Restore it until ${when(project.restoreUntil)} UTC with \`runboard projects restore ${project.slug}\`.`);
      return EXIT.ok;
    },
  },
  "projects restore": {
    usage: "Usage: runboard projects restore <slug> [--json]\nRestore a project deleted less than 7 days ago (team:manage scope).",
    options: common,
    run: async (values, positionals) => {
      const slug = requireArg(positionals, "project slug");
      const { project } = await client().request<{ project: Project }>("POST", `/projects/${encodeURIComponent(slug)}/restore`);
      print(values.json === true, project, () => `Restored ${project.name} (${project.slug}).`);
      return EXIT.ok;
    },
  },
  "jobs list": {
    usage: "Usage: runboard jobs list --project <slug> [--json]\nThe project's job types: last run, the run in progress, payload fields with defaults.",
    options: common,
    run: async (values) => {
      const { jobTypes } = await client().request<{ jobTypes: JobType[] }>("GET", `/projects/${projectOf(values)}/job-types`);
      const fields = (t: JobType) =>
        Object.entries(t.payloadSchema.properties ?? {})
          .map(([k, p]) => `${k}${p.default !== undefined ? `=${JSON.stringify(p.default)}` : ""}`)
          .join(" ");
      print(values.json === true, jobTypes, () =>
        table([["TYPE", "LAST RUN", "STATUS", "AT", "ACTIVE", "PAYLOAD"], ...jobTypes.map((t) => [t.name, t.lastRun?.id ?? "—", t.lastRun?.status ?? "never run", when(t.lastRun?.queuedAt), t.activeRunId ?? "", fields(t)])]),
      );
      return EXIT.ok;
    },
  },
  "jobs run": {
    usage: `Usage: runboard jobs run <type> --project <slug> [--payload JSON|@file] [--file field=path] [--notify] [--at ISO | --in DURATION] [--wait] [--json]
  --payload   the payload as JSON, or @path of a JSON file; fields not given take their defaults
  --file      send a file inline for a file field, e.g. --file fileId=contacts.csv (contacts_import)
  --notify    email you when the run ends
  --at        run later, at an ISO 8601 time with its offset: 2026-12-02T16:30:00Z, ...T17:30:00+01:00
  --in        run later, after a duration: 90s, 30m, 2h, 1d (at most 365d)
              A later run is pending (scheduled) until then, holds the type's overlap slot, and can
              be cancelled with \`runboard runs cancel\`.
  --wait      follow the run with a progress bar (plain lines when not a terminal) and exit with
              its outcome: 0 completed, 10 failed, 11 dead-lettered, 12 cancelled
Already running (409): prints the existing run id and exits 5.

${EXIT_HELP}`,
    options: { ...common, payload: { type: "string" }, file: { type: "string", multiple: true }, notify: { type: "boolean" }, at: { type: "string" }, in: { type: "string" }, wait: { type: "boolean", short: "w" } },
    run: async (values, positionals) => {
      const jobType = requireArg(positionals, "the job type (see `runboard jobs list`)");
      const runAt = runAtOf(values.at as string | undefined, values.in as string | undefined);
      const payload = readPayload(values.payload as string | undefined);
      attachFiles(payload, (values.file as string[] | undefined) ?? []);
      const project = projectOf(values);
      const api = client();
      const json = values.json === true;
      let run: Run & { warnings?: string[] };
      try {
        run = await api.request<Run & { warnings?: string[] }>("POST", `/projects/${project}/runs`, { jobType, payload, notify: values.notify === true, ...(runAt ? { runAt } : {}) });
      } catch (error) {
        if (error instanceof CliFailure && error.body?.error.existingRunId) {
          const existing = error.body.error.existingRunId;
          if (json) console.log(JSON.stringify(error.body, null, 2));
          console.error(`${jobType} is already running in ${decodeURIComponent(project)}: run ${existing}`);
          return EXIT.conflict;
        }
        throw error;
      }
      // On stderr, so --json output stays one JSON document (which carries them too).
      for (const warning of run.warnings ?? []) console.error(`warning: ${warning}.`);
      if (!values.wait) {
        print(json, run, () => (run.scheduledFor ? `Scheduled ${jobType} for ${when(run.scheduledFor)} UTC: run ${run.id}` : `Started ${jobType}: run ${run.id} (${run.status})`));
        return EXIT.ok;
      }
      if (!json) console.error(`Started ${jobType}: run ${run.id}`);
      return waitFor(api, project, run.id, json);
    },
  },
  "runs list": {
    usage: `Usage: runboard runs list --project <slug> [--status s1,s2] [--job-type t] [--search text] [--from iso] [--to iso] [--oldest-first] [--cursor c] [--json]
The history page's filters; newest first, 25 a page; the next page's cursor is printed at the end.`,
    options: { ...common, status: { type: "string" }, "job-type": { type: "string" }, search: { type: "string" }, from: { type: "string" }, to: { type: "string" }, "oldest-first": { type: "boolean" }, cursor: { type: "string" } },
    run: async (values) => {
      const query = new URLSearchParams();
      const pass: [string, string][] = [["status", "status"], ["job-type", "jobType"], ["search", "q"], ["from", "from"], ["to", "to"], ["cursor", "cursor"]];
      for (const [option, param] of pass) {
        const value = values[option];
        if (typeof value === "string") query.set(param, value);
      }
      if (values["oldest-first"] === true) query.set("sort", "queued_asc");
      const page = await client().request<{ runs: RunItem[]; nextCursor: string | null; count: { value: number; exact: boolean; lowerBound?: boolean }; search?: { read: number; toward: string } }>(
        "GET",
        `/projects/${projectOf(values)}/runs${query.size ? `?${query}` : ""}`,
      );
      print(values.json === true, page, () => {
        const more = page.nextCursor ? ` More: --cursor ${page.nextCursor}` : "";
        // A search that read only part of the history may find nothing here and more further on.
        const partial = page.search ? `Searched ${page.search.read} runs only; ${page.search.toward} runs may match too.` : "";
        if (page.runs.length === 0) return page.search ? `No matches yet. ${partial}${more}` : "No runs.";
        const rows = table([["RUN", "TYPE", "STATUS", "ATTEMPTS", "QUEUED", "BY"], ...page.runs.map((r) => [r.id, r.jobType, r.status, String(r.attempts), when(r.queuedAt), r.triggeredBy?.name ?? "—"])]);
        const total = page.search ? partial : `${page.count.exact ? "" : page.count.lowerBound ? "more than " : "about "}${page.count.value} matching.`;
        return `${rows}\n${total}${more}`;
      });
      return EXIT.ok;
    },
  },
  "runs show": {
    usage: "Usage: runboard runs show <run id> --project <slug> [--wait] [--json]\n--wait follows it like `jobs run --wait`.",
    options: { ...common, wait: { type: "boolean", short: "w" } },
    run: async (values, positionals) => {
      const runId = encodeURIComponent(requireArg(positionals, "the run id"));
      const api = client();
      if (values.wait) return waitFor(api, projectOf(values), runId, values.json === true);
      const run = await api.request<Run>("GET", `/projects/${projectOf(values)}/runs/${runId}`);
      print(values.json === true, run, () => runSummary(run));
      return EXIT.ok;
    },
  },
  "runs cancel": {
    usage: "Usage: runboard runs cancel <run id> --project <slug> [--json]\nPending runs stop at once; running ones at their next checkpoint. A finished run exits 5.",
    options: common,
    run: async (values, positionals) => {
      const runId = encodeURIComponent(requireArg(positionals, "the run id"));
      const result = await client().request<{ outcome: string; run: Run }>("POST", `/projects/${projectOf(values)}/runs/${runId}/cancel`);
      print(values.json === true, result, () => `${result.outcome === "cancelled" ? "Cancelled" : "Cancelling"} run ${result.run.id}`);
      return EXIT.ok;
    },
  },
  "runs retry-now": {
    usage: "Usage: runboard runs retry-now <run id> --project <slug> [--wait] [--json]\nStarts the next attempt of a run waiting for a retry now, instead of after its backoff. A run not waiting for a retry exits 5.",
    options: { ...common, wait: { type: "boolean", short: "w" } },
    run: async (values, positionals) => {
      const runId = encodeURIComponent(requireArg(positionals, "the run id"));
      const api = client();
      const project = projectOf(values);
      const run = await api.request<Run>("POST", `/projects/${project}/runs/${runId}/retry-now`);
      if (values.wait) return waitFor(api, project, run.id, values.json === true);
      print(values.json === true, run, () => `Retrying run ${run.id} now (attempt ${run.attempts + 1} of ${run.maxAttempts})`);
      return EXIT.ok;
    },
  },
  "runs retry": {
    usage: "Usage: runboard runs retry <run id> --project <slug> [--wait] [--json]\nRe-drives a failed or dead-lettered run with a fresh set of attempts.",
    options: { ...common, wait: { type: "boolean", short: "w" } },
    run: async (values, positionals) => {
      const runId = encodeURIComponent(requireArg(positionals, "the run id"));
      const api = client();
      const project = projectOf(values);
      const run = await api.request<Run>("POST", `/projects/${project}/runs/${runId}/retry`);
      if (values.wait) return waitFor(api, project, run.id, values.json === true);
      print(values.json === true, run, () => `Retrying run ${run.id} (${run.status})`);
      return EXIT.ok;
    },
  },
};

async function main(argv: string[]): Promise<number> {
  // Loaded on demand: the account commands need bcrypt and the schema, the API commands do not.
  if (argv[0] === "admin") return (await import("./admin")).adminCommand(argv.slice(1));
  // Scaffolds into this checkout (the folder bin/runboard.mjs lives in).
  if (argv[0] === "new") return (await import("./new-job")).newJobCommand(argv.slice(1), path.resolve(import.meta.dirname, ".."));
  if (argv[0] === "system") {
    if (argv.length === 1) console.log(SYSTEM_USAGE);
    return argv.length === 1 ? EXIT.ok : systemCommand(argv.slice(1));
  }
  const name = argv[0] === "login" ? "login" : `${argv[0] ?? ""} ${argv[1] ?? ""}`;
  const command = COMMANDS[name];
  if (!command) {
    const group = argv[0] && !argv[0].startsWith("-") ? Object.keys(COMMANDS).filter((c) => c.startsWith(`${argv[0]} `)) : [];
    if (group.length) {
      console.log(`Usage: runboard ${argv[0]} <${group.map((c) => c.split(" ")[1]).join("|")}> [--help]`);
      return argv[1] === undefined || argv[1] === "--help" || argv[1] === "-h" ? EXIT.ok : EXIT.usage;
    }
    console.log(MAIN_HELP);
    return argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help" ? EXIT.ok : EXIT.usage;
  }
  const rest = argv.slice(name === "login" ? 1 : 2);
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${command.usage}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    console.log(command.usage);
    return EXIT.ok;
  }
  return command.run(parsed.values, parsed.positionals);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliFailure) {
    console.error(error.message);
    process.exitCode = error.exitCode;
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = EXIT.error;
  }
}
