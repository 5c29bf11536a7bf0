import { isIP } from "node:net";
import { envNumber } from "@/lib/config";

/**
 * Set on every incoming request from the TCP peer's address (lib/security/peer-stamp.ts),
 * overwriting whatever a client sent under that name. Next.js keeps a client's own
 * X-Forwarded-For, so without a proxy of ours that header is the client's word, not a fact.
 */
export const PEER_HEADER = "x-runboard-peer";

/**
 * TRUST_PROXY=N: N reverse proxies of the operator's stand in front of Runboard, each appending
 * the address it saw to X-Forwarded-For, so the Nth entry from the right is the client (entries
 * further left were written by the client and prove nothing). Unset or 0: the TCP peer.
 */
export function trustedProxyHops(): number {
  return Math.floor(envNumber("TRUST_PROXY", 0));
}

/**
 * The address to throttle by. IPv6 clients are grouped by /64 (one host usually holds a whole
 * /64, so single addresses would be free to rotate); "unknown" when nothing usable is there.
 */
export function clientAddress(headers: Headers, hops = trustedProxyHops()): string {
  let address = headers.get(PEER_HEADER) ?? "";
  if (hops > 0) {
    const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    // Fewer entries than proxies: the request did not pass through all of them; the peer is the best fact.
    if (chain.length >= hops) address = chain[chain.length - hops]!;
  }
  return normalizeAddress(address);
}

export function normalizeAddress(raw: string): string {
  let address = raw.trim();
  if (address.startsWith("[") && address.includes("]")) address = address.slice(1, address.indexOf("]"));
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) address = address.slice(7);
  const family = isIP(address);
  if (family === 4) return address;
  if (family === 6) return `${expandIpv6(address).slice(0, 4).join(":")}::/64`;
  return "unknown";
}

function expandIpv6(address: string): string[] {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...fill, ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
}
