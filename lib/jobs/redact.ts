import type { RunError } from "@/lib/db/schema";

const SECRET_KEYS = "password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret";

const PATTERNS: [RegExp, string][] = [
  // Credentials in connection strings and URLs: everything between scheme:// and the last @ of
  // the token (passwords may hold '@', '/' or ':'; a user may be empty as in redis://:pw@host).
  [/\b([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, "$1***@"],
  // Authorization headers and bearer tokens
  [/\b(bearer|basic|token)\s+[a-z0-9._~+/=-]{8,}/gi, "$1 ***"],
  // key = "quoted value", then key=value / key: value
  // (prefixed names too: access_token, db-password, x_api_key)
  [new RegExp(`\\b((?:[a-z0-9]+[_-])*(?:${SECRET_KEYS}))(["']?\\s*[:=]\\s*)(["'])(?:(?!\\3).)*\\3`, "gi"), "$1$2$3***$3"],
  [new RegExp(`\\b((?:[a-z0-9]+[_-])*(?:${SECRET_KEYS}))(["']?\\s*[:=]\\s*)(?!["'])[^\\s"',;&]+`, "gi"), "$1$2***"],
  // Well-known key formats (Stripe, GitHub, Slack, OpenAI-style) and JWTs
  [/\b(sk|pk|rk|ghp|gho|ghs|ghu|xox[abprs])[-_][a-z0-9_-]{8,}/gi, "***"],
  [/\beyJ[a-z0-9_-]+\.[a-z0-9_-]+\.[a-z0-9_-]+/gi, "***"],
];

/** Mask secrets in text a tenant may read. */
export function redactText(text: string): string {
  return PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

const SECRET_KEY_NAME = new RegExp(`(^|[_-])(${SECRET_KEYS})$`, "i");

/** Whether a field or header name says its value is a secret (api_key, access_token, x-password). */
export function isSecretName(name: string): boolean {
  return SECRET_KEY_NAME.test(name) || /authorization|cookie/i.test(name);
}

/**
 * Redact a JSON value, keeping its shape: values under secret-looking keys are masked whole,
 * every other string is masked by its text.
 */
export function redactJson(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretName(k) && v !== null && typeof v !== "object" ? "***" : redactJson(v)]));
  }
  return value;
}

export type ErrorView = {
  message: string;
  type: string;
  source: string;
  subType: string;
  severity: number;
  retryable: boolean;
  /** Only for support: tenants get the reference instead. */
  stack: string | null;
  /** Quote this to support to find the unredacted detail. */
  reference: string;
};

/** The error as a viewer may see it: support gets everything, tenants a masked summary. */
export function errorView(error: RunError, runId: string, unredacted: boolean): ErrorView {
  const reference = `ERR-${runId.slice(0, 8).toUpperCase()}`;
  if (unredacted) return { ...error, stack: error.stack ?? null, reference };
  return {
    message: redactText(error.message),
    type: error.type,
    source: error.source,
    subType: error.subType,
    severity: error.severity,
    retryable: error.retryable,
    stack: null,
    reference,
  };
}
