import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server playing the subscription provider that jobs/subscription-sync calls
 * (docs/subscription-sync.md's API): cursor pages per account, a bearer token, and scripted
 * misbehaviour (429 with Retry-After, 5xx, malformed or huge pages, cursor loops, stalls).
 * Used by the job's tests, the integration test and the e2e spec.
 */

export type ProviderSubscription = {
  id: string;
  customer: string;
  plan: string;
  status: string;
  amount: number;
  currency: string;
  current_period_end: string | null;
  updated_at: string;
};

/** One request as the provider saw it. `hit` counts requests for the same account and cursor. */
export type ProviderRequest = { account: string; cursor: string | null; limit: number | null; hit: number; authorization: string | null; url: string; at: number };

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string | Buffer; /** no content-length: sent in pieces */ chunked?: boolean; delayMs?: number }
  /** Never answers (the client's timeout must end the call). */
  | { hang: true }
  /** Sends the status line, headers and `head`, then stalls without ending the body. */
  | { stallAfter: string };

export type AccountScript = {
  subscriptions: ProviderSubscription[];
  /** Subscriptions per page (default 2). */
  pageSize?: number;
  /** Whether pages carry `total` (default true). */
  withTotal?: boolean;
  /** Replaces the normal reply for some requests; return undefined for the normal page (index -1: a cursor it never issued). */
  reply?: (request: ProviderRequest, page: { index: number; body: string }) => Reply | undefined;
};

export type SubscriptionProvider = {
  /** Base URL to put in SUBSCRIPTIONS_API_URL. */
  url: string;
  port: number;
  token: string;
  requests: ProviderRequest[];
  setAccount: (account: string, script: AccountScript) => void;
  close: () => Promise<void>;
};

/** `count` subscriptions with stable ids `<prefix>_1..`, changed by bumping `version`. */
export function makeSubscriptions(count: number, prefix = "sub", version = 1): ProviderSubscription[] {
  const statuses = ["active", "trialing", "past_due", "canceled"];
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}_${i + 1}`,
    customer: `customer-${i + 1}@example.test`,
    plan: i % 3 === 0 ? "pro_monthly" : "starter_monthly",
    status: statuses[i % statuses.length]!,
    amount: i % 3 === 0 ? 4900 : 900,
    currency: "usd",
    current_period_end: new Date(Date.UTC(2027, 0, 1 + (i % 28))).toISOString(),
    updated_at: new Date(Date.UTC(2026, 10, 1, 0, 0, version)).toISOString(),
  }));
}

const cursorFor = (index: number) => `pg_${Buffer.from(`page:${index}`).toString("base64url")}`;
const indexOf = (cursor: string | null): number | null => {
  if (cursor === null) return 0;
  const match = /^pg_(.+)$/.exec(cursor);
  const decoded = match ? Buffer.from(match[1]!, "base64url").toString() : "";
  return /^page:\d+$/.test(decoded) ? Number(decoded.slice(5)) : null;
};

function pageBody(script: AccountScript, index: number): string {
  const size = script.pageSize ?? 2;
  const items = script.subscriptions.slice(index * size, (index + 1) * size);
  const last = (index + 1) * size >= script.subscriptions.length;
  return JSON.stringify({ data: items, next_cursor: last ? null : cursorFor(index + 1), ...(script.withTotal === false ? {} : { total: script.subscriptions.length }) });
}

function send(res: ServerResponse, reply: Reply): void {
  if ("hang" in reply) return;
  if ("status" in reply && reply.delayMs) {
    const timer = setTimeout(() => send(res, { ...reply, delayMs: 0 }), reply.delayMs);
    res.once("close", () => clearTimeout(timer));
    return;
  }
  if ("stallAfter" in reply) {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(reply.stallAfter);
    return;
  }
  const body = reply.body ?? "";
  const headers: Record<string, string> = { "content-type": "application/json", ...reply.headers };
  if (!reply.chunked) {
    res.writeHead(reply.status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  res.writeHead(reply.status, headers);
  const bytes = Buffer.from(body);
  const piece = 64 * 1024;
  let at = 0;
  const pump = () => {
    while (at < bytes.length) {
      const ok = res.write(bytes.subarray(at, at + piece));
      at += piece;
      if (!ok) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

/** Start the provider on `port` (0: any free port) of 127.0.0.1. */
export async function startSubscriptionProvider({ token = "test-provider-token-5f3a9c", port = 0 }: { token?: string; port?: number } = {}): Promise<SubscriptionProvider> {
  const accounts = new Map<string, AccountScript>();
  const requests: ProviderRequest[] = [];
  const hits = new Map<string, number>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://provider.test");
    const match = /^\/v1\/accounts\/([^/]+)\/subscriptions$/.exec(url.pathname);
    const account = match ? decodeURIComponent(match[1]!) : "";
    const cursor = url.searchParams.get("cursor");
    const key = `${account} ${cursor ?? ""}`;
    const hit = (hits.get(key) ?? 0) + 1;
    hits.set(key, hit);
    const limit = url.searchParams.get("limit");
    const request: ProviderRequest = { account, cursor, limit: limit === null ? null : Number(limit), hit, authorization: req.headers.authorization ?? null, url: req.url ?? "", at: Date.now() };
    requests.push(request);

    if (req.method !== "GET" || !match) return send(res, { status: 404, body: JSON.stringify({ error: "no such route" }) });
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, { status: 401, body: JSON.stringify({ error: "invalid token" }) });
    const script = accounts.get(account);
    if (!script) return send(res, { status: 404, body: JSON.stringify({ error: `no account ${account}` }) });
    const index = indexOf(cursor);
    const body = index === null ? "" : pageBody(script, index);
    const scripted = script.reply?.(request, { index: index ?? -1, body });
    if (scripted) return send(res, scripted);
    if (index === null) return send(res, { status: 400, body: JSON.stringify({ error: "unknown cursor" }) });
    send(res, { status: 200, body });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/v1`,
    port: bound,
    token,
    requests,
    setAccount: (account, script) => void accounts.set(account, script),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
