import "server-only";
import { z } from "zod";
import { authenticateApiKey } from "@/lib/dal/api-keys";
import { AccessError } from "@/lib/dal/access";
import { withApiPrincipal, type ApiPrincipal } from "@/lib/dal/principal";
import { withDatabaseWatch } from "@/lib/dal/health";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable, unavailableReason } from "@/lib/db/errors";
import { NUL_MESSAGE, nulPaths } from "@/lib/validation/safe-text";
import { consume } from "@/lib/security/throttle";
import { apiKeyBucket, apiKeyLimit } from "./rate-limit";
import type { Overlap } from "@/lib/jobs/define";
import type { ApiErrorBody, ApiErrorCode } from "./schemas";

/** Bodies larger than this are refused with 413 before they are read (inline files included). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** A refusal with its HTTP status; the handler turns it into the stable error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { fieldErrors?: Record<string, string[]>; existingRunId?: string; overlap?: Overlap; reference?: string } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorResponse(status: number, code: ApiErrorCode, message: string, extra: ApiError["extra"] = {}, headers: Record<string, string> = {}): Response {
  const body: ApiErrorBody = { error: { code, message, ...extra } };
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** 503 while Postgres is unreachable: clients retry after Retry-After; nothing was changed. */
export const databaseUnavailableResponse = (): Response =>
  errorResponse(503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE, {}, { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) });

export const notFound = (): ApiError => new ApiError(404, "not_found", "Not found.");

/** Zod issues keyed by dotted path (`payload.items`), the first message of each. */
export function fieldErrorsOf(error: z.ZodError, prefix = "", depth = Infinity): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = [prefix, ...issue.path.slice(0, depth).map(String)].filter(Boolean).join(".") || prefix || "body";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

function parseOr422<S extends z.ZodType>(schema: S, value: unknown, prefix: string, message: string, depth = Infinity): z.output<S> {
  // Postgres refuses NUL in text and jsonb: refuse it here, wherever it sits, before any schema or query.
  const nul = nulPaths(value, prefix);
  if (nul.length > 0) throw new ApiError(422, "invalid", message, { fieldErrors: Object.fromEntries(nul.map((f) => [f.split(".").slice(0, prefix ? depth + 1 : depth).join("."), [NUL_MESSAGE]])) });
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(422, "invalid", message, { fieldErrors: fieldErrorsOf(parsed.error, prefix, depth) });
  return parsed.data;
}

/** Search params as an object; a repeated parameter (status=a&status=b) becomes a list. */
function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

async function readBody(request: Request, limit: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return undefined;
  // Count as we read: a missing or lying Content-Length must not let a huge body through.
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiError(400, "bad_request", "The request body is not valid JSON.");
  }
}

const tooLarge = (limit: number) => new ApiError(413, "payload_too_large", `The request body is larger than ${Math.floor(limit / 1024)} KiB.`);

function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };

export type ApiHandlerInput<P, Q, B> = { params: P; query: Q; body: B; request: Request; key: ApiPrincipal };

/**
 * The one wrapper for /api/v1 routes: bearer key → rate limit for the key (429 + Retry-After) →
 * body size bound (413) → zod parse of params, query and body (422 with field errors) → the DAL,
 * run as the key's principal → a stable JSON error shape. Bad input never reaches a 500, and an
 * unreachable database answers 503 with Retry-After.
 */
export function apiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: { params?: P; query?: Q; body?: B; maxBodyBytes?: number },
  handler: (input: ApiHandlerInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Response>,
): (request: Request, context: RouteContext) => Promise<Response> {
  return async (request, context) => {
    try {
      return await withDatabaseWatch(() => handle(request, context));
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        console.error(`[api] ${request.method} ${new URL(request.url).pathname}: database unavailable (${unavailableReason(error)})`);
        return databaseUnavailableResponse();
      }
      const reference = crypto.randomUUID().slice(0, 8);
      console.error(`[api] ${request.method} ${new URL(request.url).pathname} failed (ref ${reference})`, error);
      return errorResponse(500, "internal", `Something went wrong on our side (ref ${reference}).`, { reference });
    }
  };

  async function handle(request: Request, context: RouteContext): Promise<Response> {
    try {
      const token = bearerToken(request);
      const key = token ? await authenticateApiKey(token) : null;
      if (!key) {
        return errorResponse(401, "unauthenticated", token ? "The API key is invalid, has been revoked, or its creator is no longer in its team." : "Send an API key as `Authorization: Bearer <key>`.", {}, { "WWW-Authenticate": 'Bearer realm="runboard"' });
      }
      const rule = apiKeyLimit();
      const decision = await consume(apiKeyBucket(key.keyId), rule);
      if (!decision.ok) {
        return errorResponse(429, "rate_limited", `Too many requests for this key; retry in ${decision.retryAfterSeconds} s.`, {}, { "Retry-After": String(decision.retryAfterSeconds), "RateLimit-Limit": String(rule.limit), "RateLimit-Remaining": "0" });
      }
      const rawParams = (await context?.params) ?? {};
      // A path segment with a NUL names nothing that can exist.
      if (nulPaths(rawParams).length > 0) throw notFound();
      const params = parseOr422(spec.params ?? z.object({}), rawParams, "", "The path is not valid.");
      // Query errors are keyed by the parameter's name (a list's item index means nothing there).
      const query = parseOr422(spec.query ?? z.object({}), queryObject(new URL(request.url)), "", "The query is not valid.", 1);
      const rawBody = spec.body ? await readBody(request, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : undefined;
      const body = spec.body ? parseOr422(spec.body, rawBody ?? {}, "", "The request body is not valid.") : undefined;
      const response = await withApiPrincipal(key, () => handler({ params: params as z.output<P>, query: query as z.output<Q>, body: body as z.output<B>, request, key }));
      response.headers.set("RateLimit-Limit", String(rule.limit));
      response.headers.set("RateLimit-Remaining", String(decision.remaining));
      if (!response.headers.has("Cache-Control")) response.headers.set("Cache-Control", "no-store");
      return response;
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error.status, error.code, error.message, error.extra, error.headers);
      if (error instanceof AccessError) {
        if (error.code === "forbidden") return errorResponse(403, "forbidden", "This API key lacks the scope for that, or its creator no longer holds it in the team.");
        if (error.code === "not_found") return errorResponse(404, "not_found", "Not found.");
        return errorResponse(401, "unauthenticated", error.message);
      }
      throw error;
    }
  }
}

export const json = (data: unknown, status = 200, headers: Record<string, string> = {}): Response => Response.json(data, { status, headers });
