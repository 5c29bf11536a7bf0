import { EXIT } from "./exit-codes";

export type ApiErrorBody = { error: { code: string; message: string; fieldErrors?: Record<string, string[]>; existingRunId?: string } };

/** A refused or failed API call, with the exit code it maps to. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly body: ApiErrorBody | null = null,
  ) {
    super(message);
  }
}

function exitForHttp(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 422) return EXIT.usage;
  return EXIT.error;
}

function describe(status: number, body: ApiErrorBody | null): string {
  const error = body?.error;
  if (!error) return `The server answered HTTP ${status}.`;
  const lines = [error.message];
  for (const [field, messages] of Object.entries(error.fieldErrors ?? {})) lines.push(`  ${field}: ${messages.join("; ")}`);
  if (error.existingRunId) lines.push(`Existing run: ${error.existingRunId}`);
  if (status === 401) lines.push("Run `runboard login` or set RUNBOARD_API_KEY.");
  return lines.join("\n");
}

/** The /api/v1 client: JSON in and out, bearer key, one retry loop for 429 (Retry-After). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async request<T>(method: "GET" | "POST" | "PATCH" | "DELETE", pathname: string, body?: unknown): Promise<T> {
    const url = new URL(`/api/v1${pathname}`, this.baseUrl);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { Authorization: `Bearer ${this.apiKey}`, Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (error) {
        throw new CliFailure(`Cannot reach ${url.origin}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`, EXIT.error);
      }
      if (response.status === 429 && attempt < 5) {
        const wait = Number(response.headers.get("retry-after") ?? "1");
        await new Promise((r) => setTimeout(r, Math.min(60, Number.isFinite(wait) ? wait : 1) * 1000));
        continue;
      }
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      if (!response.ok) {
        const errorBody = parsed && typeof parsed === "object" && "error" in parsed ? (parsed as ApiErrorBody) : null;
        throw new CliFailure(describe(response.status, errorBody), exitForHttp(response.status), errorBody);
      }
      return parsed as T;
    }
  }
}
