import type { RunError } from "@/lib/db/schema";
import { publicErrorMessage, redactText } from "@/lib/jobs/redact";

type SentryModule = typeof import("@sentry/node");

/** What a run failure tells the error tracker: its reference and the redacted error, never the payload. */
export type RunFailureReport = { runId: string; jobType: string; attempt: number; projectId: string | null; status: string; error: RunError };

let loaded: { dsn: string; sentry: Promise<SentryModule> } | null = null;

/**
 * The Sentry SDK, loaded (dynamic import) and initialised on first use, only when SENTRY_DSN is
 * set: without it this costs nothing. No default integrations: they would add breadcrumbs from the
 * console (whose lines may quote raw errors), request data and local variables. Events carry only
 * what the callers below put in them.
 */
function sentry(dsn: string | undefined = process.env.SENTRY_DSN?.trim()): Promise<SentryModule> | null {
  if (!dsn) return null;
  if (loaded?.dsn === dsn) return loaded.sentry;
  const promise = import("@sentry/node").then((s) => {
    s.initWithoutDefaultIntegrations({
      dsn,
      environment: process.env.SENTRY_ENVIRONMENT?.trim() || undefined,
      release: process.env.SENTRY_RELEASE?.trim() || undefined,
      enableOpenTelemetrySetup: false,
      maxBreadcrumbs: 0,
      // Nothing adds these without integrations; make sure nothing does.
      beforeSend(event) {
        delete event.request;
        delete event.user;
        delete event.extra;
        return event;
      },
    });
    return s;
  });
  loaded = { dsn, sentry: promise };
  return promise;
}

/** Whether reports go anywhere (SENTRY_DSN is set). */
export function sentryEnabled(): boolean {
  return Boolean(process.env.SENTRY_DSN?.trim());
}

/**
 * An error Sentry can group, with nothing of the original but its class of failure, the redacted
 * message and the stack's frames (the stack's first line repeats the raw message: dropped).
 */
function scrubbedError(name: string, message: string, stack: string | undefined): Error {
  const error = new Error(message);
  error.name = name;
  const frames = (stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  error.stack = [`${name}: ${message}`, ...frames.map(redactText)].join("\n");
  return error;
}

/** A handler's failed attempt, with the run's reference. Never throws; resolves once it was handed over. */
export async function reportRunFailure(report: RunFailureReport): Promise<void> {
  const loading = sentry();
  if (!loading) return;
  try {
    const s = await loading;
    const { error } = report;
    s.withScope((scope) => {
      scope.setTags({ job_type: report.jobType, error_type: error.type, error_source: error.source, error_sub_type: error.subType, run_status: report.status });
      scope.setContext("run", { run_id: report.runId, job_type: report.jobType, attempt: report.attempt, project_id: report.projectId });
      scope.setFingerprint([report.jobType, error.type, error.subType]);
      scope.setLevel(report.status === "pending" ? "warning" : "error");
      s.captureException(scrubbedError(`${report.jobType}: ${error.subType}`, publicErrorMessage(error.message), error.stack));
    });
  } catch (e) {
    console.error("[sentry] could not report a run failure", e instanceof Error ? e.message : e);
  }
}

/** An unhandled error of a web request: the route and the redacted message, no headers, no body. */
export async function reportWebError(error: unknown, request: { method: string; routePath: string }): Promise<void> {
  const loading = sentry();
  if (!loading) return;
  try {
    const s = await loading;
    const original = error instanceof Error ? error : new Error(String(error));
    s.withScope((scope) => {
      scope.setTags({ route: request.routePath, method: request.method });
      s.captureException(scrubbedError(original.name, publicErrorMessage(original.message), original.stack));
    });
  } catch (e) {
    console.error("[sentry] could not report an error", e instanceof Error ? e.message : e);
  }
}

/** Send what is queued (a stopping process), for up to `timeoutMs`. */
export async function flushSentry(timeoutMs = 2_000): Promise<void> {
  if (!loaded) return;
  const s = await loaded.sentry.catch(() => null);
  await s?.flush(timeoutMs);
}
