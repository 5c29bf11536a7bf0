import { setTimeout as sleep } from "node:timers/promises";
import type { Db } from "@/lib/db/client";
import type { TrackedFetch, TrackedFetchOptions } from "../define";
import { jobRunCalls } from "@/lib/db/schema";
import { JobError } from "../errors";
import { outboundPolicy, outboundRefusal, refusalIn, type OutboundPolicy } from "./outbound-guard";
import { redactText } from "../redact";

export type { TrackedFetch, TrackedFetchOptions };

/** Bytes of a request or response body kept in the call log. */
export const BODY_LOG_LIMIT = 4096;
export const MAX_CALL_RETRIES = 5;
export const DEFAULT_RETRY_ON: readonly number[] = [408, 425, 429, 500, 502, 503, 504];
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_BACKOFF_MS = 500;
/** Longest wait between two tries, whether from backoff or a server's Retry-After. */
export const MAX_CALL_RETRY_WAIT_MS = 30_000;

export type TrackedFetchDeps = {
  db: Db;
  runId: string;
  attempt: number;
  /** The run's signal: aborts an in-flight try and any wait between tries. */
  signal: AbortSignal;
  random?: () => number;
  /** Which targets may be called; by default OUTBOUND_ALLOW_HOSTS's policy. */
  outbound?: OutboundPolicy;
};

const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]);
const SECRET_HEADER_PART = /token|secret|key|signature|password/i;

/** Headers as a plain object (lower-case names) with secret values replaced by "***". */
export function redactHeaders(headers: HeadersInit): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new Headers(headers)) {
    out[name] = SECRET_HEADERS.has(name) || SECRET_HEADER_PART.test(name) ? "***" : redactText(value);
  }
  return out;
}

/** Response headers kept per try, and characters kept per value: enough for rate-limit and tracing headers. */
export const MAX_LOGGED_RESPONSE_HEADERS = 40;
const MAX_LOGGED_HEADER_CHARS = 512;

/** A response's headers as the call log keeps them: redacted, at most MAX_LOGGED_RESPONSE_HEADERS, values cut. */
export function responseHeadersForLog(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(redactHeaders(headers))) {
    if (count++ >= MAX_LOGGED_RESPONSE_HEADERS) break;
    out[name] = value.length > MAX_LOGGED_HEADER_CHARS ? `${value.slice(0, MAX_LOGGED_HEADER_CHARS)}…` : value;
  }
  return out;
}

// Short names only as whole words (api_key, x-key, sig, code), so `monkey`, `signup` or `zipcode` stay readable.
const SECRET_PARAM = /token|secret|passw(or)?d|pwd|signature|credential|api[-_]?key|(^|[-_.])(key|sig|code|auth|jwt|otp|session|sid)$/i;

/** The URL without userinfo credentials or secret-looking query values, and without the fragment
 * (never sent to the server, and where OAuth puts tokens). */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  if (parsed.username || parsed.password) {
    parsed.username = "***";
    parsed.password = "";
  }
  parsed.hash = "";
  if (parsed.search) {
    // Rewrite the raw query rather than re-serialising it, so the rest keeps its exact encoding.
    parsed.search = parsed.search
      .slice(1)
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0) return pair;
        const rawName = pair.slice(0, eq);
        let name = rawName;
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, " "));
        } catch {
          // A malformed escape: match on the raw name.
        }
        return SECRET_PARAM.test(name) ? `${rawName}=***` : pair;
      })
      .join("&");
  }
  return parsed.href;
}

const TEXT_TYPE = /^text\/|[/+](json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|x-yaml|x-ndjson|csv)\b/i;
const BINARY_TYPE = /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-protobuf|protobuf|vnd\.ms-excel|msword|wasm)\b/i;

function looksBinary(bytes: Uint8Array, contentType: string | null): boolean {
  if (contentType && TEXT_TYPE.test(contentType)) return false;
  if (contentType && BINARY_TYPE.test(contentType)) return true;
  const sample = bytes.subarray(0, BODY_LOG_LIMIT);
  if (sample.includes(0)) return true;
  try {
    // stream: a multi-byte character cut at the sample's end is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/**
 * A body as the call log keeps it: text cut to BODY_LOG_LIMIT bytes (with a note of the full size),
 * binary as `[binary N bytes]`. `totalBytes` is the full size when `bytes` is only its beginning;
 * null when that size is unknown.
 */
export function truncateBody(bytes: Uint8Array, contentType: string | null, totalBytes: number | null = bytes.byteLength): string {
  const size = totalBytes === null ? `more than ${bytes.byteLength}` : String(totalBytes);
  if (looksBinary(bytes, contentType)) return `[binary ${size} bytes]`;
  const complete = totalBytes === bytes.byteLength;
  if (complete && bytes.byteLength <= BODY_LOG_LIMIT) return new TextDecoder().decode(bytes);
  // stream: drops a character split by the cut instead of writing U+FFFD.
  const head = new TextDecoder().decode(bytes.subarray(0, BODY_LOG_LIMIT), { stream: true });
  return `${head}… [truncated, ${size} bytes]`;
}

/** The Retry-After delay in ms (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only a real HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"): Date.parse reads "1.5" as a date too.
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Exponential backoff with equal jitter (half fixed, half random), as between run attempts. */
function backoffDelayMs(backoffMs: number, retry: number, random: () => number): number {
  const capped = Math.min(MAX_CALL_RETRY_WAIT_MS, backoffMs * 2 ** retry);
  return capped / 2 + (capped / 2) * random();
}

/** Read at most a little over `limit` bytes of a stream, then let go of it. */
async function readPrefix(stream: ReadableStream<Uint8Array>, limit: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Cancelling our tee branch leaves the caller's branch untouched. Not awaited: a branch's cancel
    // settles only once the other branch is cancelled or read to the end, which is the caller's business.
    if (!complete) void reader.cancel().catch(() => undefined);
  }
  return { bytes: Buffer.concat(chunks), complete };
}

/** The logged response body, read from a clone: only its beginning, so the caller can still stream a large body. */
async function responseBodyForLog(response: Response): Promise<string | null> {
  const copy = response.clone();
  if (!copy.body) return null;
  const { bytes, complete } = await readPrefix(copy.body, BODY_LOG_LIMIT);
  const length = response.headers.get("content-length")?.trim() ?? "";
  // A content-length counts encoded bytes; with a content-encoding it is not the size we read.
  const known = !response.headers.has("content-encoding") && /^\d+$/.test(length) ? Number(length) : null;
  return redactText(truncateBody(bytes, response.headers.get("content-type"), complete ? bytes.byteLength : known));
}

function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  // undici hides the useful part in the cause: "fetch failed" ← "connect ECONNREFUSED 127.0.0.1:1".
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const message =
      current instanceof AggregateError && current.errors.length > 0
        ? current.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ")
        : current instanceof Error
          ? current.message
          : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return redactText(parts.join(": ") || "Unknown error");
}

type CallRow = typeof jobRunCalls.$inferInsert;

/** One insert per try; a failed write is logged and never reaches the handler. */
async function recordCall(db: Db, row: CallRow): Promise<void> {
  try {
    // Every field of `row` was redacted where it was built (trackedFetch): reads keep it as stored.
    await db.insert(jobRunCalls).values({ ...row, redacted: true });
  } catch (error) {
    console.error(`[worker] could not record an outbound call of run ${row.runId}`, error);
  }
}

class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Timed out after ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

function clampInt(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Redirects followed per try; each hop is checked against the outbound policy and logged. */
export const MAX_REDIRECTS = 5;
/** Headers that carry credentials: not sent on to another origin by a redirect. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

/** The next hop of a redirect, as fetch would make it (303, and 301/302 after a POST, become a GET without body). */
function redirectRequest(from: Request, location: string, status: number, body: Uint8Array<ArrayBuffer> | null): Request {
  const url = new URL(location, from.url);
  const toGet = status === 303 ? from.method !== "HEAD" : (status === 301 || status === 302) && from.method === "POST";
  const headers = new Headers(from.headers);
  if (toGet) for (const name of ["content-type", "content-length", "content-encoding", "content-language", "content-location"]) headers.delete(name);
  if (url.origin !== new URL(from.url).origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  const method = toGet ? "GET" : from.method;
  return new Request(url, { method, headers, body: toGet || !body || method === "GET" || method === "HEAD" ? null : body, redirect: "manual" });
}

/** ctx.fetch for one run attempt: a standard fetch whose every try is logged (redacted, truncated). */
export function createTrackedFetch({ db, runId, attempt, signal: runSignal, random = Math.random, outbound = outboundPolicy() }: TrackedFetchDeps): TrackedFetch {
  return async (input, init, options = {}) => {
    const retries = clampInt(options.retries ?? 0, 0, MAX_CALL_RETRIES);
    const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
    const timeoutMs = clampInt(options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, 1, 2 ** 31 - 1);
    const backoffMs = clampInt(options.backoffMs ?? DEFAULT_CALL_BACKOFF_MS, 0, MAX_CALL_RETRY_WAIT_MS);
    runSignal.throwIfAborted();

    // Normalised once: the headers fetch adds for the body (content-type) are logged too, and each
    // try sends a clone, so a body can be sent again.
    const request = new Request(input, init);
    const method = request.method;
    const url = redactUrl(request.url);
    const bodyBytes = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : null;
    // Redirects are followed here, hop by hop, so each target is checked before it is called.
    const follow = request.redirect === "follow";
    // Aborts that end the call for good: the run's, and one the handler passed in init.
    const stopSignal = AbortSignal.any([runSignal, request.signal]);

    for (let retry = 0; ; retry++) {
      stopSignal.throwIfAborted();
      let hopRequest = request.clone();
      let response: Response | null = null;
      let failure: unknown = null;
      let timedOut = false;
      for (let hop = 0; ; hop++) {
        const hopMethod = hopRequest.method;
        const hopUrl = redactUrl(hopRequest.url);
        const timeout = new AbortController();
        const timer = setTimeout(() => timeout.abort(new CallTimeoutError(timeoutMs)), timeoutMs);
        const started = performance.now();
        let responseBody: string | null = null;
        let refusal: string | null = null;
        response = null;
        failure = null;
        try {
          refusal = await outboundRefusal(outbound, hopRequest.url);
          if (!refusal) {
            response = await fetch(hopRequest.clone(), { signal: AbortSignal.any([stopSignal, timeout.signal]), redirect: "manual", dispatcher: outbound.dispatcher } as RequestInit);
            responseBody = await responseBodyForLog(response);
          }
        } catch (error) {
          failure = error;
          refusal = refusalIn(error)?.message ?? null;
        } finally {
          // The timeout bounds this try; once the handler has the response, only the run's signal applies.
          clearTimeout(timer);
        }
        const durationMs = Math.round(performance.now() - started);
        // A try that completed stands even if the run is aborted a moment later; the handler sees the abort next.
        const stopped = failure !== null && stopSignal.aborted;
        timedOut = failure !== null && timeout.signal.aborted;
        const error = refusal ?? (failure === null ? null : stopped ? `Aborted: ${describeError(stopSignal.reason)}` : describeError(timedOut ? timeout.signal.reason : failure));
        const requestBody = hopRequest.body && bodyBytes ? redactText(truncateBody(bodyBytes, hopRequest.headers.get("content-type"))) : null;
        await recordCall(db, { runId, attempt, retry, method: hopMethod, url: hopUrl, requestHeaders: redactHeaders(hopRequest.headers), requestBody, responseStatus: response?.status ?? null, responseHeaders: response ? responseHeadersForLog(response.headers) : null, responseBody, durationMs, error });

        if (stopped) {
          void response?.body?.cancel().catch(() => undefined);
          throw stopSignal.reason;
        }
        if (refusal) {
          throw new JobError(`${hopMethod} ${hopUrl} was refused: ${refusal}`, { type: "validation_error", source: "handler", subType: "outbound_target_refused", severity: 3, retryable: false });
        }
        const location = response?.headers.get("location");
        if (!follow || !response || !REDIRECT_STATUSES.has(response.status) || !location) break;
        void response.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) {
          throw new JobError(`${method} ${url} was redirected more than ${MAX_REDIRECTS} times`, { type: "api_error", source: "external_service", subType: "too_many_redirects", retryable: false });
        }
        try {
          hopRequest = redirectRequest(hopRequest, location, response.status, bodyBytes);
        } catch {
          throw new JobError(`${method} ${url} was redirected to an unusable location`, { type: "api_error", source: "external_service", subType: "bad_redirect", retryable: false });
        }
      }

      const retryable = failure !== null || (response !== null && retryOn.includes(response.status));
      if (!retryable || retry >= retries) {
        if (failure === null && response) return response;
        throw timedOut
          ? new JobError(`${method} ${url} timed out after ${timeoutMs} ms`, { type: "timeout", source: "external_service", subType: "api_timeout", cause: failure })
          : new JobError(`${method} ${url} failed: ${describeError(failure)}`, { type: "api_error", source: "external_service", subType: "network_error", cause: failure });
      }

      const retryAfter = response && (response.status === 429 || response.status === 503) ? parseRetryAfter(response.headers.get("retry-after")) : null;
      const waitMs = retryAfter !== null ? Math.min(MAX_CALL_RETRY_WAIT_MS, retryAfter) : backoffDelayMs(backoffMs, retry, random);
      // Free the connection of a response nobody will read.
      void response?.body?.cancel().catch(() => undefined);
      try {
        await sleep(waitMs, undefined, { signal: stopSignal });
      } catch {
        throw stopSignal.reason;
      }
    }
  };
}
