import type { AttemptView, AuditView, CallView } from "@/lib/dal/runs";
import type { ErrorView } from "@/lib/jobs/redact";
import { formatDuration, formatTimestamp } from "@/app/(dashboard)/_components/format";

const box = "rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900";
const muted = "text-zinc-600 dark:text-zinc-400";

/** The error with its taxonomy; the stack only arrives for support (the DAL drops it for tenants). */
export function ErrorDetails({ error }: { error: ErrorView }) {
  return (
    <section aria-label="Error" role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950/40">
      <h2 className="font-medium text-red-800 dark:text-red-300">Error</h2>
      <p data-testid="run-error" className="mt-1 text-sm break-words text-red-900 dark:text-red-200">
        {error.message}
      </p>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-xs text-red-900/90 sm:grid-cols-5 dark:text-red-200/90">
        {(
          [
            ["Type", error.type],
            ["Source", error.source],
            ["Sub-type", error.subType],
            ["Severity", `${error.severity} of 5`],
            ["Retryable", error.retryable ? "yes" : "no"],
          ] as const
        ).map(([label, value]) => (
          <div key={label}>
            <dt className="uppercase tracking-wide opacity-70">{label}</dt>
            <dd className="font-mono break-all">{value}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-3 text-xs text-red-800/80 dark:text-red-300/80">
        Reference <span className="font-mono" data-testid="error-reference">{error.reference}</span>
        {error.stack === null && " — quote it to support for the full detail."}
      </p>
      {error.stack && (
        <details open className="mt-2">
          <summary className="cursor-pointer text-xs font-medium text-red-800 dark:text-red-300">Stack (support only)</summary>
          <pre className="mt-1 max-h-64 overflow-auto text-xs">{error.stack}</pre>
        </details>
      )}
    </section>
  );
}

export function AttemptList({ attempts, maxAttempts }: { attempts: AttemptView[]; maxAttempts: number }) {
  return (
    <section aria-label="Attempts">
      <h2 className="mb-2 font-medium">
        Attempts <span className={`text-sm font-normal ${muted}`}>({attempts.length} of at most {maxAttempts})</span>
      </h2>
      {attempts.length === 0 ? (
        <p className={`text-sm ${muted}`}>No attempt has started yet.</p>
      ) : (
        <ol className={`divide-y divide-zinc-200 dark:divide-zinc-800 ${box}`}>
          {attempts.map((a) => (
            <li key={a.number} data-testid="attempt" className="px-3 py-2 text-sm">
              <div className="flex flex-wrap gap-x-3 gap-y-1">
                <span className="font-medium">Attempt {a.number}</span>
                <span className={muted}>{a.status}</span>
                <span className={muted}>{formatDuration(a.durationMs)}</span>
                <span className="ml-auto text-xs text-zinc-500">{formatTimestamp(a.startedAt)}</span>
              </div>
              {a.error && (
                <p className="mt-1 break-words text-red-700 dark:text-red-400">
                  <span className="font-mono text-xs">
                    {a.error.type}/{a.error.subType} · severity {a.error.severity}
                  </span>{" "}
                  {a.error.message}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

const statusTone = (status: number | null) =>
  status === null ? "text-red-700 dark:text-red-400" : status >= 400 ? "text-red-700 dark:text-red-400" : "text-emerald-700 dark:text-emerald-400";

export function CallLog({ calls, truncated }: { calls: CallView[]; truncated: boolean }) {
  return (
    <section aria-label="Outbound calls">
      <h2 className="mb-2 font-medium">Outbound calls</h2>
      {calls.length === 0 ? (
        <p className={`text-sm ${muted}`}>No outbound HTTP calls recorded for this run.</p>
      ) : (
        <ol className={`divide-y divide-zinc-200 dark:divide-zinc-800 ${box}`}>
          {calls.map((c) => (
            <li key={c.id} data-testid="call" className="px-3 py-2 text-sm">
              <details>
                <summary className="cursor-pointer">
                  <span className="inline-flex flex-wrap items-baseline gap-x-3 gap-y-1">
                    <span className="font-mono font-medium">{c.method}</span>
                    <span className={`font-mono ${statusTone(c.status)}`}>{c.status ?? "no response"}</span>
                    <span className={muted}>{formatDuration(c.durationMs)}</span>
                    <span className="text-xs text-zinc-500">
                      attempt {c.attempt}
                      {c.retry > 0 ? `, retry ${c.retry}` : ""}
                    </span>
                    {c.responseHeaders?.["retry-after"] && <span className="text-xs text-amber-700 dark:text-amber-400">Retry-After: {c.responseHeaders["retry-after"]}</span>}
                  </span>
                  <span className="mt-0.5 block pl-4 font-mono text-xs break-all text-zinc-700 dark:text-zinc-300">{c.url}</span>
                </summary>
                <div className="mt-2 space-y-2 text-xs">
                  {c.error && <p className="text-red-700 dark:text-red-400">{c.error}</p>}
                  <p className="text-zinc-500">{formatTimestamp(c.createdAt)}</p>
                  <JsonBlock label="Request headers" value={c.requestHeaders} />
                  {c.requestBody !== null && <TextBlock label="Request body" text={c.requestBody} />}
                  {c.responseHeaders !== null && <JsonBlock label="Response headers" value={c.responseHeaders} />}
                  {c.responseBody !== null && <TextBlock label="Response body" text={c.responseBody} />}
                </div>
              </details>
            </li>
          ))}
        </ol>
      )}
      {truncated && <p className={`mt-1 text-xs ${muted}`}>Showing the first {calls.length} calls.</p>}
    </section>
  );
}

const ACTION_LABELS: Record<string, string> = { "run.triggered": "Triggered", "run.cancelled": "Cancelled", "run.retried": "Re-driven", "run.retry_now": "Retry started now" };

export function AuditTrail({ events, triggeredBy, queuedAt }: { events: AuditView[]; triggeredBy: string | null; queuedAt: string }) {
  return (
    <section aria-label="Audit trail">
      <h2 className="mb-2 font-medium">Audit trail</h2>
      <ol className={`divide-y divide-zinc-200 dark:divide-zinc-800 ${box}`}>
        {/* A scheduled run has no trigger event; say so rather than show nothing. */}
        {!events.some((e) => e.action === "run.triggered") && (
          <li className="flex flex-wrap gap-x-3 px-3 py-2 text-sm">
            <span className="font-medium">Queued</span> <span>{triggeredBy ? `by ${triggeredBy}` : "by the schedule"}</span>
            <time dateTime={queuedAt} className="ml-auto text-xs text-zinc-500">
              {formatTimestamp(queuedAt)}
            </time>
          </li>
        )}
        {events.map((e) => (
          <li key={e.id} data-testid="audit-event" className="flex flex-wrap gap-x-3 px-3 py-2 text-sm">
            <span className="font-medium">{ACTION_LABELS[e.action] ?? e.action}</span> <span>by {e.actor ?? "a removed user"}</span>
            {e.outcome && <span className={muted}>({e.outcome})</span>}
            <time dateTime={e.at} className="ml-auto text-xs text-zinc-500">
              {formatTimestamp(e.at)}
            </time>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function JsonBlock({ label, value }: { label: string; value: unknown }) {
  return <TextBlock label={label} text={value === null || value === undefined ? "—" : JSON.stringify(value, null, 2)} />;
}

function TextBlock({ label, text }: { label: string; text: string }) {
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 font-medium">{label}</figcaption>
      <pre className="max-h-80 overflow-auto rounded-lg bg-zinc-100 p-3 text-xs dark:bg-zinc-950">{text}</pre>
    </figure>
  );
}
