import type { RunError } from "@/lib/db/schema";

/*
 * Secret masking for what tenants read (error messages, payloads, results, the call log).
 *
 * A hand-written scanner rather than regular expressions over the whole text: backtracking
 * patterns with overlapping quantifiers went quadratic on shapes like `a-a-a-…`, and an error
 * message is tenant-controlled. Every pass below reads the text once, left to right; the few
 * regexes left are anchored to one token and have no nested quantifiers, so the whole redaction
 * is linear in the text's length (bench/redact.ts measures it against a plain scan).
 *
 * The rules follow the ecosystem's secret scanners (gitleaks, trufflehog, GitHub secret scanning):
 * provider token shapes, `key=value` / `key: value` / JSON members whose key names a secret,
 * credentials in URLs of any scheme, Authorization schemes, PEM private keys, JWTs.
 * tests/unit/redact-corpus.test.ts holds real-shaped secrets and harmless look-alikes.
 */

export const MASK = "***";

type Span = { start: number; end: number; replacement: string };

// ---------------------------------------------------------------------------------------------
// Characters

const isSpace = (c: number) => c === 32 || c === 9;
const isWhite = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
/** Key names and tokens: letters, digits, `_`, `-`, `.`. */
const isWordChar = (c: number) => isAlnum(c) || c === 95 || c === 45 || c === 46;
const QUOTE_DOUBLE = 34;
const QUOTE_SINGLE = 39;
const BACKSLASH = 92;

// ---------------------------------------------------------------------------------------------
// Key names

/** Words that make a key secret wherever they stand in its name (db_password, secretValue). */
const STRONG_WORDS = new Set(["password", "passwd", "passphrase", "secret", "secrets", "credential", "credentials"]);
/** Words that make a key secret as its last word (access_token, basic_auth; not token_count, author). */
const LAST_WORDS = new Set(["pwd", "token", "auth", "authorization", "creds", "cookie", "apikey", "privatekey", "accesskey", "secretkey", "signature"]);
/** The last two words joined: stripeApiKey, private_key, aws_secret_access_key, x-api-key. */
const LAST_PAIRS = new Set(["apikey", "privatekey", "accesskey", "secretkey", "sessionkey", "signingkey", "encryptionkey", "masterkey", "authkey", "clientsecret"]);
/** A last word saying the value is about the secret, not the secret (password_reset, secret_name). */
const METADATA_WORDS = new Set([
  "reset", "required", "length", "policy", "expires", "expired", "expiry", "changed", "sent", "name", "names", "id", "ids", "count",
  "hint", "rules", "strength", "min", "max", "type", "version", "field", "label", "set", "updated", "at", "ttl", "path", "file", "manager", "store", "enabled",
]);
/** Joined spellings (PGPASSWORD, MYSQL_PWD's pwd, csrftoken, clientsecret) end with one of these. */
const SUFFIXES = ["password", "passwd", "secret", "token", "apikey", "passphrase", "privatekey", "accesskey", "secretkey"];

const HINTS = ["pass", "pwd", "secret", "token", "auth", "cred", "key", "cookie", "signature"];

/** Split a key name into lower-case words: `stripeApiKey`, `DB_PASSWORD`, `x-api-key`, `APIKey`. */
function words(name: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAlnum(c)) {
      if (current) out.push(current.toLowerCase());
      current = "";
      continue;
    }
    const prev = i > 0 ? name.charCodeAt(i - 1) : 0;
    const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
    // authToken -> auth|Token; APIKey -> API|Key
    if (current && isUpper(c) && (isLower(prev) || (isUpper(prev) && isLower(next)))) {
      out.push(current.toLowerCase());
      current = "";
    }
    current += name[i];
  }
  if (current) out.push(current.toLowerCase());
  return out;
}

/** Whether a key name says its value is a secret (dbPassword, authToken, PGPASSWORD, x-api-key). */
export function isSecretKeyName(name: string): boolean {
  if (name.length < 3 || name.length > 100) return false;
  const lower = name.toLowerCase();
  // Every rule below needs one of these inside the name; most names have none.
  if (!HINTS.some((h) => lower.includes(h))) return false;
  const parts = words(name);
  const last = parts[parts.length - 1];
  if (!last) return false;
  if (LAST_WORDS.has(last)) return true;
  if (parts.length > 1 && LAST_PAIRS.has(parts[parts.length - 2]! + last)) return true;
  if (METADATA_WORDS.has(last) && parts.length > 1) return false;
  if (parts.some((p) => STRONG_WORDS.has(p))) return true;
  return SUFFIXES.some((s) => last.length > s.length && last.endsWith(s));
}

/** Whether a field or header name says its value is a secret (api_key, access_token, x-password). */
export function isSecretName(name: string): boolean {
  return isSecretKeyName(name) || /authorization|cookie/i.test(name);
}

/** Values kept whole: the line after `Authorization:` or `Cookie:` (schemes, several cookies). */
const WHOLE_LINE_WORDS = new Set(["authorization", "cookie"]);

// ---------------------------------------------------------------------------------------------
// Pass 1: key = value, key: value, "key": "value" (JSON, also JSON escaped inside a string)

function keyValueSpans(text: string, spans: Span[]): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 58 && c !== 61) continue; // ':' or '='
    // Not a separator: `::`, `==`, `=>`, `://`
    const after = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    if (after === c || (c === 61 && after === 62) || (c === 58 && after === 47)) {
      i++;
      continue;
    }
    // Back over spaces, an optional (escaped) closing quote, then the key name. Each walk stops at
    // the previous separator at the latest, so all walks together read the text once.
    let j = i - 1;
    while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
    let quoted = false;
    if (j >= 0 && (text.charCodeAt(j) === QUOTE_DOUBLE || text.charCodeAt(j) === QUOTE_SINGLE)) {
      quoted = true;
      j--;
      if (j >= 0 && text.charCodeAt(j) === BACKSLASH) j--;
    }
    const nameEnd = j + 1;
    while (j >= 0 && isWordChar(text.charCodeAt(j)) && nameEnd - j <= 101) j--;
    const nameStart = j + 1;
    if (nameEnd - nameStart === 0 || nameEnd - nameStart > 100) continue;
    // A key that is part of a longer word run (`.../x.password:`) still counts; a quoted key must
    // have its opening quote.
    if (quoted && !(j >= 0 && (text.charCodeAt(j) === QUOTE_DOUBLE || text.charCodeAt(j) === QUOTE_SINGLE))) continue;
    const name = text.slice(nameStart, nameEnd);
    if (!isSecretKeyName(name)) continue;
    // A header line inside quotes ('Authorization: …' in a curl line) ends at that quote.
    const before = j >= 0 ? text.charCodeAt(j) : 0;
    const enclosing = !quoted && (before === QUOTE_DOUBLE || before === QUOTE_SINGLE) ? before : 0;
    const end = maskValue(text, i + 1, WHOLE_LINE_WORDS.has(words(name).pop() ?? "") ? { enclosing } : null, spans);
    i = Math.max(i, end - 1);
  }
}

/** Mask the value that starts at `from` (after the separator); returns where it ends. */
function maskValue(text: string, from: number, wholeLine: { enclosing: number } | null, spans: Span[]): number {
  const n = text.length;
  let k = from;
  while (k < n && isSpace(text.charCodeAt(k))) k++;
  let escaped = false;
  if (k + 1 < n && text.charCodeAt(k) === BACKSLASH && (text.charCodeAt(k + 1) === QUOTE_DOUBLE || text.charCodeAt(k + 1) === QUOTE_SINGLE)) {
    escaped = true;
    k++;
  }
  const q = k < n ? text.charCodeAt(k) : 0;
  if (q === QUOTE_DOUBLE || q === QUOTE_SINGLE) {
    // To the closing quote (or the line's end when there is none).
    let e = k + 1;
    for (; e < n; e++) {
      const ch = text.charCodeAt(e);
      if (ch === 10 || ch === 13) break;
      if (ch === q && (!escaped || text.charCodeAt(e - 1) === BACKSLASH)) {
        if (escaped) e--;
        break;
      }
      if (!escaped && ch === BACKSLASH) e++; // \" inside a plain JSON string
    }
    e = Math.min(e, n);
    if (e > k + 1) spans.push({ start: k + 1, end: e, replacement: MASK });
    return e;
  }
  let e = k;
  if (wholeLine) {
    // `Authorization: Bearer x` keeps its scheme word.
    let w = k;
    while (w < n && isAlnum(text.charCodeAt(w))) w++;
    if (w > k && w < n && text.charCodeAt(w) === 32 && w - k <= 12) k = w + 1;
    e = k;
    while (e < n) {
      const ch = text.charCodeAt(e);
      if (ch === 10 || ch === 13 || ch === wholeLine.enclosing) break;
      e++;
    }
    while (e > k && (isSpace(text.charCodeAt(e - 1)) || text.charCodeAt(e - 1) === BACKSLASH)) e--;
  } else {
    while (e < n) {
      const ch = text.charCodeAt(e);
      if (isWhite(ch) || ch === QUOTE_DOUBLE || ch === QUOTE_SINGLE || ch === 44 || ch === 59 || ch === 38 || ch === BACKSLASH) break; // , ; &
      e++;
    }
  }
  if (e > k) spans.push({ start: k, end: e, replacement: MASK });
  return e;
}

// ---------------------------------------------------------------------------------------------
// Pass 2: tokens with a provider's shape, and JWTs

/** Anchored to one token, no nested quantifiers: linear in the token's length. */
const TOKEN_SHAPES: Record<string, RegExp[]> = {
  A: [/^(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}$/, /^AIza[A-Za-z0-9_-]{35}$/],
  g: [/^glpat-[A-Za-z0-9_-]{20,}$/, /^(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}$/, /^github_pat_[A-Za-z0-9_]{22,}$/],
  n: [/^npm_[A-Za-z0-9]{36}$/],
  x: [/^xox[abposr]-[A-Za-z0-9-]{8,}$/, /^xapp-[A-Za-z0-9-]{8,}$/],
  s: [/^sk_(?:live|test)_[A-Za-z0-9]{8,}$/, /^sk-[A-Za-z0-9_-]{20,}$/, /^shp(?:at|ss|ca|pa)_[A-Fa-f0-9]{32}$/],
  r: [/^rk_(?:live|test)_[A-Za-z0-9]{8,}$/],
  p: [/^pk_(?:live|test)_[A-Za-z0-9]{8,}$/],
  w: [/^whsec_[A-Za-z0-9+/=]{16,}$/],
  S: [/^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/],
  // JWT: header and claims are base64url JSON ("eyJ" is `{"`); the signature may be empty (alg none).
  e: [/^eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?$/],
};

function tokenSpans(text: string, spans: Span[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
    let end = i;
    // A sentence's full stop after the token is not part of it.
    while (end > start && text.charCodeAt(end - 1) === 46) end--;
    if (end - start < 12) continue;
    const shapes = TOKEN_SHAPES[text[start]!];
    if (!shapes) continue;
    const token = text.slice(start, end);
    if (shapes.some((shape) => shape.test(token))) spans.push({ start, end, replacement: MASK });
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 3: credentials in URLs of any scheme (scheme://user:pass@host), Slack webhooks

/** Where a URL-ish run ends: whitespace, quotes, angle brackets. */
const endsUrl = (c: number) => isWhite(c) || c === QUOTE_DOUBLE || c === QUOTE_SINGLE || c === 60 || c === 62 || c === 96 || c === BACKSLASH;

function urlSpans(text: string, spans: Span[]): void {
  const n = text.length;
  let from = 0;
  for (;;) {
    const p = text.indexOf("://", from);
    if (p < 0) return;
    // The scheme: letters, digits, + . - right before, starting with a letter.
    let s = p - 1;
    while (s >= 0 && p - s <= 32 && (isAlnum(text.charCodeAt(s)) || text.charCodeAt(s) === 43 || text.charCodeAt(s) === 46 || text.charCodeAt(s) === 45)) s--;
    const hasScheme = s + 1 < p && (isUpper(text.charCodeAt(s + 1)) || isLower(text.charCodeAt(s + 1)));
    // The run after :// up to the next break; userinfo ends at its last '@' (passwords may hold
    // '@', '/' or ':'). Later `://` in the same run are inside this one's span or host: skip them.
    let e = p + 3;
    let lastAt = -1;
    while (e < n && !endsUrl(text.charCodeAt(e))) {
      if (text.charCodeAt(e) === 64) lastAt = e;
      e++;
    }
    if (hasScheme && lastAt > p + 3) spans.push({ start: p + 3, end: lastAt, replacement: MASK });
    if (text.startsWith("hooks.slack.com/services/", p + 3) && e > p + 28) spans.push({ start: p + 28, end: e, replacement: MASK });
    from = Math.max(e, p + 3);
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 4: Authorization schemes outside a header line (Bearer x, Basic x, token x)

const SCHEMES = ["bearer", "basic", "token"];
/** "the bearer of bad news", "missing bearer token", "basic authentication", "token bucket". */
const NOT_CREDENTIALS = new Set(["token", "tokens", "auth", "authentication", "authorization", "header", "scheme", "required", "missing", "invalid", "expired", "credentials"]);

function schemeSpans(text: string, spans: Span[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isAlnum(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isAlnum(text.charCodeAt(i))) i++;
    const len = i - start;
    if (len < 5 || len > 6 || i >= n || !isSpace(text.charCodeAt(i))) continue;
    const first = text.charCodeAt(start) | 32; // b or t, any case
    if (first !== 98 && first !== 116) continue;
    const scheme = text.slice(start, i).toLowerCase();
    if (!SCHEMES.includes(scheme)) continue;
    let k = i;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    let e = k;
    while (e < n && (isWordChar(text.charCodeAt(e)) || text.charCodeAt(e) === 43 || text.charCodeAt(e) === 47 || text.charCodeAt(e) === 61 || text.charCodeAt(e) === 126)) e++;
    while (e > k && text.charCodeAt(e - 1) === 46) e--;
    const value = text.slice(k, e);
    if (looksLikeCredential(scheme, value)) spans.push({ start: k, end: e, replacement: MASK });
    i = Math.max(i, e);
  }
}

function looksLikeCredential(scheme: string, value: string): boolean {
  if (value.length < 3 || NOT_CREDENTIALS.has(value.toLowerCase())) return false;
  if (scheme === "bearer") return true;
  // Basic and token need a credential's look: long, with a digit, a symbol or an inner capital
  // ("Basic dXNlcjpwYXNz", "token ghx9…"; not "token bucket" or "Basic Authentication").
  if (value.length < 8) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 95 || (i > 0 && isUpper(c))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Pass 5: PEM private keys (the body between BEGIN and END, or to the end when cut short)

function pemSpans(text: string, spans: Span[]): void {
  let from = 0;
  for (;;) {
    const begin = text.indexOf("-----BEGIN ", from);
    if (begin < 0) return;
    const headerEnd = text.indexOf("-----", begin + 11);
    if (headerEnd < 0) return;
    const label = text.slice(begin + 11, Math.min(headerEnd, begin + 80));
    if (headerEnd - begin > 80 || !label.endsWith("PRIVATE KEY")) {
      from = begin + 11;
      continue;
    }
    const bodyStart = headerEnd + 5;
    const end = text.indexOf("-----END ", bodyStart);
    spans.push({ start: bodyStart, end: end < 0 ? text.length : end, replacement: "\n***\n" });
    if (end < 0) return;
    from = end + 9;
  }
}

// ---------------------------------------------------------------------------------------------

/** Mask secrets in text a tenant may read. Linear in the text's length. */
export function redactText(text: string): string {
  // Each pass finds its spans left to right, so each list is sorted by start: merged, not sorted.
  const passes: Span[][] = [keyValueSpans, tokenSpans, urlSpans, schemeSpans, pemSpans].map((pass) => {
    const spans: Span[] = [];
    pass(text, spans);
    return spans;
  });
  if (passes.every((spans) => spans.length === 0)) return text;
  const heads = passes.map(() => 0);
  let out = "";
  let at = 0;
  for (;;) {
    let next = -1;
    for (let p = 0; p < passes.length; p++) {
      const span = passes[p]![heads[p]!];
      if (span && (next < 0 || span.start < passes[next]![heads[next]!]!.start)) next = p;
    }
    if (next < 0) break;
    const span = passes[next]![heads[next]!++]!;
    if (span.end <= at) continue;
    // Overlapping spans merge: whatever any rule masked stays masked.
    if (span.start < at) {
      at = span.end;
      continue;
    }
    out += text.slice(at, span.start) + span.replacement;
    at = span.end;
  }
  return out + text.slice(at);
}

/** Nesting deeper than any real payload: below it a value is masked whole rather than walked. */
const MAX_JSON_DEPTH = 64;

/**
 * Redact a JSON value, keeping its shape: values under secret-looking keys are masked whole,
 * every other string is masked by its text.
 */
export function redactJson(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_JSON_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => redactJson(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretName(k) && v !== null && typeof v !== "object" ? MASK : redactJson(v, depth + 1)]));
}

// ---------------------------------------------------------------------------------------------
// What is stored

/** Stored error messages are cut here (at write time): every later read is bounded by it. */
export const MAX_ERROR_MESSAGE = 8 * 1024;
/** Stacks beyond this are cut too (support reads them; tenants never do). */
export const MAX_ERROR_STACK = 16 * 1024;

/** Room for the note saying what was cut, so capping twice changes nothing the second time. */
const CUT_NOTE_ROOM = 48;

/** `text` cut to about `max` characters, saying how much was cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max + CUT_NOTE_ROOM) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

/** The error as it is stored: message and stack capped. */
export function capError(error: RunError): RunError {
  const capped: RunError = { ...error, message: capText(error.message, MAX_ERROR_MESSAGE) };
  if (error.stack !== undefined) capped.stack = capText(error.stack, MAX_ERROR_STACK);
  return capped;
}

/** What a tenant may read of a (stored, capped) error message: written beside the raw one. */
export function publicErrorMessage(message: string): string {
  return redactText(capText(message, MAX_ERROR_MESSAGE));
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

/**
 * The error as a viewer may see it: support gets everything, tenants the message stored for them
 * at write time (`publicMessage`), or for a row written before that, the capped message redacted
 * now.
 */
export function errorView(error: RunError, runId: string, unredacted: boolean, publicMessage?: string | null): ErrorView {
  const reference = `ERR-${runId.slice(0, 8).toUpperCase()}`;
  if (unredacted) return { ...error, stack: error.stack ?? null, reference };
  return {
    message: publicMessage ?? publicErrorMessage(error.message),
    type: error.type,
    source: error.source,
    subType: error.subType,
    severity: error.severity,
    retryable: error.retryable,
    stack: null,
    reference,
  };
}
