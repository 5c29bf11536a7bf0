import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { Agent, buildConnector, type Dispatcher } from "undici";

/**
 * Which hosts a handler's ctx.fetch may reach. Loopback, private (RFC 1918, CGNAT), link-local,
 * unique-local, unspecified, multicast and reserved addresses are refused (the cloud metadata
 * service, the database, the dashboard's own port…) unless an operator allow-lists them in
 * OUTBOUND_ALLOW_HOSTS. A name is checked by the addresses it resolves to, at connect time, in the
 * connector's own DNS lookup: the address checked is the address connected (no DNS rebinding).
 */

/** An allow-list entry: a host name or address, or a CIDR, optionally only on one port. */
type AllowEntry = { kind: "host"; host: string; port: number | null } | { kind: "net"; bytes: Uint8Array; bits: number; port: number | null };

export type OutboundPolicy = { allow: readonly AllowEntry[]; dispatcher: Dispatcher };

/** A call refused before any connection was made; never retried. */
export class OutboundRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutboundRefusedError";
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** 4 bytes for IPv4, 16 for IPv6; null when `address` is neither. */
function addressBytes(address: string): Uint8Array | null {
  const a = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const version = isIP(a);
  if (version === 4) return Uint8Array.from(a.split(".").map(Number));
  if (version !== 6) return null;
  let text = a.replace(/%.*$/, ""); // a zone id (fe80::1%eth0)
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const parse = (s: string) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = halves.length === 2 ? [...left, ...Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right] : left;
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function inNet(bytes: Uint8Array, net: Uint8Array, bits: number): boolean {
  if (bytes.length !== net.length) return false;
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i / 8]! & mask) !== (net[i / 8]! & mask)) return false;
  }
  return true;
}

function cidr(text: string): { bytes: Uint8Array; bits: number } {
  const [address, bits] = text.split("/");
  return { bytes: addressBytes(address!)!, bits: Number(bits) };
}

const REFUSED_NETS: readonly { name: string; bytes: Uint8Array; bits: number }[] = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
].map(([net, name]) => ({ name: name!, ...cidr(net!) }));

/** IPv6 forms that carry an IPv4 address: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96). */
const EMBEDS_V4 = [cidr("::ffff:0:0/96"), cidr("::/96"), cidr("64:ff9b::/96")];

/** Why this address may not be called ("loopback", …), or null for a public address. */
export function refusedAddressKind(address: string): string | null {
  const bytes = addressBytes(address);
  if (!bytes) return "not an IP address";
  const kind = REFUSED_NETS.find((n) => inNet(bytes, n.bytes, n.bits))?.name ?? null;
  if (kind || bytes.length === 4 || !EMBEDS_V4.some((n) => inNet(bytes, n.bytes, n.bits))) return kind;
  return refusedAddressKind(Array.from(bytes.subarray(12)).join("."));
}

// ---------------------------------------------------------------------------------------------
// The allow-list

/** `OUTBOUND_ALLOW_HOSTS`: comma-separated `host`, `host:port`, `1.2.3.4`, `[::1]:8080`, `10.0.0.0/8`. */
export function parseAllowList(value: string | undefined): AllowEntry[] {
  const entries: AllowEntry[] = [];
  for (const raw of (value ?? "").split(",")) {
    const item = raw.trim().toLowerCase();
    if (!item) continue;
    let host = item;
    let port: number | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
    const withPort = /^([^:]+):(\d+)$/.exec(item);
    if (bracketed) [host, port] = [bracketed[1]!, bracketed[2] ? Number(bracketed[2]) : null];
    else if (withPort) [host, port] = [withPort[1]!, Number(withPort[2])];
    if (port !== null && !(port > 0 && port < 65536)) throw new Error(`OUTBOUND_ALLOW_HOSTS: "${raw.trim()}" has an invalid port.`);
    if (host.includes("/")) {
      const [address, bits] = host.split("/");
      const bytes = addressBytes(address!);
      const prefix = Number(bits);
      if (!bytes || !/^\d+$/.test(bits ?? "") || prefix > bytes.length * 8) throw new Error(`OUTBOUND_ALLOW_HOSTS: "${raw.trim()}" is not a valid CIDR range.`);
      entries.push({ kind: "net", bytes, bits: prefix, port });
    } else if (addressBytes(host)) {
      const bytes = addressBytes(host)!;
      entries.push({ kind: "net", bytes, bits: bytes.length * 8, port });
    } else entries.push({ kind: "host", host, port });
  }
  return entries;
}

const portOf = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));
const bare = (hostname: string) => (hostname.startsWith("[") ? hostname.slice(1, -1) : hostname).toLowerCase();

function hostAllowed(allow: readonly AllowEntry[], host: string, port: number): boolean {
  return allow.some((e) => e.kind === "host" && e.host === host && (e.port === null || e.port === port));
}

function addressAllowed(allow: readonly AllowEntry[], address: string, port: number): boolean {
  const bytes = addressBytes(address);
  return !!bytes && allow.some((e) => e.kind === "net" && (e.port === null || e.port === port) && inNet(bytes, e.bytes, e.bits));
}

/** Null when `address` may be called on `port`, else why not. */
function addressRefusal(allow: readonly AllowEntry[], host: string, address: string, port: number): string | null {
  if (addressAllowed(allow, address, port)) return null;
  const kind = refusedAddressKind(address);
  if (!kind) return null;
  const target = bare(host) === address ? address : `${host} (${address})`;
  return `Refused to call ${target}: a ${kind} address. Outbound calls reach public addresses only, unless an operator allow-lists the host in OUTBOUND_ALLOW_HOSTS.`;
}

// ---------------------------------------------------------------------------------------------
// Checks

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses a name resolving to any address this policy refuses. */
function checkedLookup(allow: readonly AllowEntry[], port: number) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const refusal = addressRefusal(allow, hostname, address, port);
        if (refusal) return callback(Object.assign(new OutboundRefusedError(refusal), { code: "EREFUSEDTARGET" }), []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Before a call (and before each redirect hop): refuse a scheme other than http(s), an address
 * literal in a refused range, or a name that resolves into one. The connector checks again when it
 * connects; this check is what gives the call log a clear reason without opening a socket.
 */
export async function outboundRefusal(policy: OutboundPolicy, target: string): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null; // fetch reports an unusable URL itself
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `Refused to call a ${url.protocol} URL: outbound calls use http or https.`;
  const host = bare(url.hostname);
  const port = portOf(url);
  if (hostAllowed(policy.allow, host, port)) return null;
  if (isIP(host)) return addressRefusal(policy.allow, host, host, port);
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (error, found) => resolve(error ? [] : found)));
  for (const { address } of addresses) {
    const refusal = addressRefusal(policy.allow, host, address, port);
    if (refusal) return refusal;
  }
  return null;
}

/** The refusal in an error's cause chain (undici wraps connector errors in "fetch failed"). */
export function refusalIn(error: unknown): OutboundRefusedError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof OutboundRefusedError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}

/**
 * An undici dispatcher whose every connection is checked: an address literal before connecting,
 * a name in the lookup that the socket then connects with.
 */
function guardedDispatcher(allow: readonly AllowEntry[]): Dispatcher {
  const open = buildConnector({});
  const byPort = new Map<number, buildConnector.connector>();
  const connect: buildConnector.connector = (options, callback) => {
    const host = bare(options.hostname);
    const port = Number(options.port || (options.protocol === "https:" ? 443 : 80));
    if (hostAllowed(allow, host, port)) return open(options, callback);
    if (isIP(host)) {
      const refusal = addressRefusal(allow, host, host, port);
      if (refusal) return callback(new OutboundRefusedError(refusal), null);
      return open(options, callback);
    }
    let checked = byPort.get(port);
    if (!checked) byPort.set(port, (checked = buildConnector({ lookup: checkedLookup(allow, port) } as buildConnector.BuildOptions)));
    return checked(options, callback);
  };
  return new Agent({ connect });
}

const policies = new Map<string, OutboundPolicy>();

/** The policy for an allow-list (by default OUTBOUND_ALLOW_HOSTS), built once per distinct value. */
export function outboundPolicy(allowHosts: string | undefined = process.env.OUTBOUND_ALLOW_HOSTS): OutboundPolicy {
  const key = allowHosts ?? "";
  let policy = policies.get(key);
  if (!policy) {
    const allow = parseAllowList(allowHosts);
    policies.set(key, (policy = { allow, dispatcher: guardedDispatcher(allow) }));
  }
  return policy;
}
