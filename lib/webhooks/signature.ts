import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The header a delivery is signed in: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "Runboard-Signature";
/** Receivers refuse a signature older (or newer) than this: a captured delivery cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** A new endpoint secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The Runboard-Signature value for `body` sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: "malformed" | "mismatch" | "expired" };

/**
 * What a receiver does (docs/webhooks.md has the same steps): read t and every v1 (a rotation may
 * send more than one later), recompute over the raw body, compare in constant time, then refuse a
 * timestamp outside the tolerance.
 */
export function verifySignature(secret: string, body: string, header: string | null, now: number = Math.floor(Date.now() / 1000), toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): SignatureCheck {
  if (!header) return { ok: false, reason: "malformed" };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === "v1" && value && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(hmacHex(secret, timestamp, body), "hex");
  if (!candidates.some((c) => timingSafeEqual(Buffer.from(c, "hex"), expected))) return { ok: false, reason: "mismatch" };
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: "expired" };
  return { ok: true, timestamp };
}
