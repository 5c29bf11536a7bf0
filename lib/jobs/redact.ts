import type { RunError } from "@/lib/db/schema";

const PATTERNS: [RegExp, string][] = [
  // Credentials inside connection strings and URLs: scheme://user:secret@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(:[^\s/@]*)?@/gi, "$1***@"],
  // Authorization headers and bearer tokens
  [/\b(bearer|basic|token)\s+[a-z0-9._~+/=-]{8,}/gi, "$1 ***"],
  // key=value and key: value secrets
  [/\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, "$1$2***"],
  // Long opaque tokens (API keys, JWTs, hex secrets)
  [/\b(sk|pk|rk|ghp|gho|xox[abp])_[a-z0-9_-]{8,}/gi, "***"],
  [/\beyJ[a-z0-9_-]+\.[a-z0-9_-]+\.[a-z0-9_-]+/gi, "***"],
];

/** Mask secrets in text a tenant may read. */
export function redactText(text: string): string {
  return PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
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
