/**
 * `npm run bench:redact`: the redactor on adversarial 1 MB inputs (shapes that made the earlier
 * regex redactor quadratic), in ns per byte, against a trivial linear pass over the same input
 * in the same run (`toLowerCase` plus an `indexOf` scan). The ratio is what to watch: a linear
 * redactor keeps it flat across shapes and sizes; a super-linear one grows with the input.
 */
import { redactJson, redactText } from "@/lib/jobs/redact";

const MB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

const fill = (unit: string, bytes = MB) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);

function deepJson(bytes: number): string {
  const depth = Math.floor(bytes / 12);
  return `${'{"password":'.repeat(depth)}"x"${"}".repeat(depth)}`.slice(0, bytes);
}

const INPUTS: [string, string][] = [
  ["a-a-a-… (the CSV header of issue 11)", fill("a-")],
  ["one long token (secret-ish chars)", fill("AbC9_-")],
  ["base64-ish with '='", fill("dXNlcjpwYXNz=")],
  ["many '=' (a=a=…)", fill("a=")],
  ["many ':' and spaces", fill("a : ")],
  ["password=\" unterminated, repeated", fill('password="')],
  ["password=x& repeated (all masked)", fill("password=x&")],
  ["scheme:// repeated (a://a://…)", fill("a://")],
  ["'@' after '://' (x://a@a@a…)", `x://${fill("a@", MB - 4)}`],
  ["Bearer repeated", fill("Bearer ")],
  ["-----BEGIN repeated", fill("-----BEGIN ")],
  ["eyJ… JWT-ish dots", fill("eyJa.")],
  ["deep JSON text", deepJson(MB)],
  ["log lines with secrets", fill("2026-12-02 db error postgres://app:pw@db/x token=abc AKIAUJZDE8GXD6NCF10E ok\n")],
];

function timeNs(fn: () => unknown, rounds = ROUNDS): number {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

/**
 * Redactor and baseline alternately, best of ROUNDS each: this machine's speed drifts, and
 * alternating exposes both sides to the same drift.
 */
function timePair(text: string): { redact: number; base: number } {
  let redact = Infinity;
  let base = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    redact = Math.min(redact, timeNs(() => redactText(text), 1));
    base = Math.min(base, timeNs(() => baseline(text), 1));
  }
  return { redact, base };
}

/** A linear pass that touches every character: what "proportional to the input" costs here. */
function baseline(text: string): number {
  let found = 0;
  for (let at = text.indexOf("=", 0); at >= 0; at = text.indexOf("=", at + 1)) found++;
  return text.toLowerCase().length + found;
}

console.log(`redactText on 1 MB inputs: best of ${ROUNDS} alternating rounds, ns/byte; baseline = toLowerCase + indexOf scan of the same input\n`);
console.log(`${"input".padEnd(42)} ${"redact".padStart(8)} ${"baseline".padStart(9)} ${"ratio".padStart(7)}`);
let worst = 0;
for (const [name, text] of INPUTS) {
  const pair = timePair(text);
  const redact = pair.redact / text.length;
  const base = pair.base / text.length;
  worst = Math.max(worst, redact / base);
  console.log(`${name.padEnd(42)} ${redact.toFixed(2).padStart(8)} ${base.toFixed(2).padStart(9)} ${(redact / base).toFixed(1).padStart(6)}×`);
}

// Linearity: the same shapes at 256 KB, 1 MB and 4 MB. Each size's ratio to the baseline at that
// size stays flat for a linear redactor (a quadratic one would grow 4× per step).
console.log("\nGrowth: ratio to baseline at 256 KB → 1 MB → 4 MB");
for (const [name, unit] of [["a-a-a-…", "a-"], ["password=x&", "password=x&"], ["Bearer …", "Bearer "]] as const) {
  const ratios = [MB / 4, MB, 4 * MB].map((bytes) => {
    const pair = timePair(fill(unit, bytes));
    return pair.redact / pair.base;
  });
  console.log(`  ${name.padEnd(14)} ${ratios.map((r) => `${r.toFixed(0)}×`).join(" → ")}`);
}

// Payloads are redacted as parsed JSON; a nesting bomb stops at the depth limit.
let nested: unknown = { password: "x" };
for (let i = 0; i < 100_000; i++) nested = [nested];
const jsonNs = timeNs(() => redactJson(nested));
console.log(`\nredactJson on 100,000 nested arrays: ${(jsonNs / 1e6).toFixed(2)} ms`);
console.log(`\nWorst ratio to baseline: ${worst.toFixed(1)}×`);
