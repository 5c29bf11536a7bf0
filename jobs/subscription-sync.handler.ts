import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { billingAccounts, subscriptions } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import type { JobHandler } from "@/lib/jobs/define";
import { billingAccountId, type SubscriptionSyncPayload } from "./subscription-sync";

/** Subscriptions asked for per page (the provider may send fewer). */
export const PAGE_SIZE = 100;
/** A page's body is read up to this size; a larger one fails the run instead of filling memory. */
export const MAX_PAGE_BYTES = 5 * 1024 * 1024;
/** Backstop against a provider handing out new cursors forever. */
export const MAX_PAGES = 10_000;
/** Empty pages in a row that still point to a next page: a provider stuck in a loop. */
export const MAX_EMPTY_PAGES = 10;
/** Tries after the first for one page, on these statuses and network errors (ctx.fetch honours Retry-After). */
export const PAGE_RETRIES = 4;
const RETRY_ON: readonly number[] = [408, 425, 429, 500, 502, 503, 504];
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Rows per upsert statement: far below Postgres's parameter limit. */
const UPSERT_BATCH = 500;
const MAX_REPORTED_ITEM_ERRORS = 50;

export type SubscriptionApiConfig = { baseUrl: URL; token: string; timeoutMs: number };

function notConfigured(detail: string): JobError {
  return new JobError(`Subscription sync is not configured: ${detail} See docs/subscription-sync.md.`, {
    type: "validation_error",
    source: "worker",
    subType: "not_configured",
    severity: 3,
  });
}

/**
 * The provider connection, from the worker's environment: never from the payload, so the token is
 * neither stored with the run nor visible to whoever triggers it.
 */
export function readApiConfig(env: NodeJS.ProcessEnv = process.env): SubscriptionApiConfig {
  const rawUrl = env.SUBSCRIPTIONS_API_URL?.trim();
  const token = env.SUBSCRIPTIONS_API_TOKEN?.trim();
  const missing = [!rawUrl && "SUBSCRIPTIONS_API_URL", !token && "SUBSCRIPTIONS_API_TOKEN"].filter(Boolean);
  if (missing.length > 0) throw notConfigured(`set ${missing.join(" and ")} in the worker's environment.`);
  let baseUrl: URL;
  try {
    baseUrl = new URL(rawUrl!);
  } catch {
    throw notConfigured("SUBSCRIPTIONS_API_URL is not a URL (expected e.g. https://billing.example.com/v1).");
  }
  if (baseUrl.protocol !== "https:" && baseUrl.protocol !== "http:") throw notConfigured("SUBSCRIPTIONS_API_URL must be an http(s) URL.");
  if (baseUrl.username || baseUrl.password) throw notConfigured("SUBSCRIPTIONS_API_URL must not carry credentials; put the token in SUBSCRIPTIONS_API_TOKEN.");
  if (/\s/.test(token!)) throw notConfigured("SUBSCRIPTIONS_API_TOKEN contains whitespace.");
  const rawTimeout = env.SUBSCRIPTIONS_API_TIMEOUT_MS?.trim();
  const timeoutMs = rawTimeout ? Number(rawTimeout) : DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 300_000) throw notConfigured("SUBSCRIPTIONS_API_TIMEOUT_MS must be a whole number of milliseconds between 100 and 300000.");
  if (!baseUrl.pathname.endsWith("/")) baseUrl.pathname += "/";
  baseUrl.search = "";
  baseUrl.hash = "";
  return { baseUrl, token: token!, timeoutMs };
}

/** The provider's page, as docs/subscription-sync.md describes it. */
const pageSchema = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.string().min(1).max(2048).nullish(),
  total: z.number().int().nonnegative().nullish(),
});

const itemSchema = z.object({
  id: z.string().trim().min(1).max(200),
  customer: z.string().trim().min(1).max(320),
  plan: z.string().trim().min(1).max(200),
  status: z.string().trim().min(1).max(40),
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "not a 3-letter currency code")
    .transform((c) => c.toLowerCase()),
  current_period_end: z.iso.datetime({ offset: true }).nullish(),
  updated_at: z.iso.datetime({ offset: true }),
});
type Item = z.output<typeof itemSchema>;

type Summary = {
  account: string;
  pages: number;
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  total: number | null;
  itemErrors: { page: number; index: number; id: string | null; reason: string }[];
};

function providerError(message: string, subType: string, retryable: boolean): JobError {
  return new JobError(message, { type: "api_error", source: "external_service", subType, retryable });
}

/** What went wrong with a page, said so that an operator knows where to look. */
function statusError(status: number, where: string, account: string, body: string): JobError {
  const excerpt = body.trim().slice(0, 200);
  const said = excerpt ? `: ${excerpt}` : "";
  const tries = RETRY_ON.includes(status) ? ` after ${PAGE_RETRIES + 1} tries` : "";
  if (status === 401 || status === 403) return providerError(`The provider refused the token for ${where} (HTTP ${status}). Check SUBSCRIPTIONS_API_TOKEN.`, "unauthorized", false);
  if (status === 404) return providerError(`The provider has no account "${account}" (HTTP 404 for ${where}). Check the account id.`, "account_not_found", false);
  if (status === 429) return providerError(`The provider kept rate-limiting ${where} (HTTP 429${tries}); the run is retried later.`, "rate_limited", true);
  if (status >= 500) return providerError(`The provider failed ${where} (HTTP ${status}${tries})${said}`, "provider_unavailable", true);
  return providerError(`The provider rejected ${where} (HTTP ${status})${said}`, "bad_response", false);
}

/**
 * The response body as text, at most MAX_PAGE_BYTES, within `timeoutMs`: ctx.fetch's timeout ends
 * once the headers are in, and a provider trickling a body must not hold the run.
 */
async function readBody(response: Response, where: string, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const declared = response.headers.get("content-length");
  if (declared && /^\d+$/.test(declared.trim()) && Number(declared) > MAX_PAGE_BYTES) {
    void response.body?.cancel().catch(() => undefined);
    throw providerError(`${where} is ${Number(declared)} bytes; a page may be at most ${MAX_PAGE_BYTES} bytes. Ask the provider for smaller pages.`, "page_too_large", false);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  let timedOut = false;
  const stop = () => void reader.cancel().catch(() => undefined);
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_PAGE_BYTES) {
        stop();
        throw providerError(`${where} is larger than ${MAX_PAGE_BYTES} bytes; a page may be at most that. Ask the provider for smaller pages.`, "page_too_large", false);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
  signal.throwIfAborted();
  if (timedOut) {
    throw new JobError(`${where} did not finish arriving within ${timeoutMs} ms (${size} bytes read)`, { type: "timeout", source: "external_service", subType: "api_timeout" });
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function parsePage(text: string, where: string, contentType: string | null): z.output<typeof pageSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const start = text.trim().slice(0, 60).replace(/\s+/g, " ");
    // Retryable: a proxy's error page served as 200 is usually gone on the next attempt.
    throw providerError(`${where} is not JSON (content-type ${contentType ?? "none"}, starts with "${start}")`, "malformed_response", true);
  }
  const page = pageSchema.safeParse(json);
  if (!page.success) {
    const issue = page.error.issues[0]!;
    throw providerError(`${where} is not a page of subscriptions: ${issue.path.join(".") || "body"}: ${issue.message}`, "malformed_response", true);
  }
  return page.data;
}

type Row = typeof subscriptions.$inferInsert;

// The columns a sync writes; a row is updated only when one of them differs (and is not older).
const SYNCED = ["billing_account_id", "customer", "plan", "status", "amount_minor", "currency", "current_period_end", "provider_updated_at"] as const;
const tuple = (prefix: string) => sql.raw(`(${SYNCED.map((c) => `${prefix}.${c}`).join(", ")})`);

/** Upsert one page's rows; returns how many were created and how many updated (the rest were unchanged). */
async function upsertRows(db: Db, rows: Row[]): Promise<{ created: number; updated: number }> {
  let created = 0;
  let updated = 0;
  for (let at = 0; at < rows.length; at += UPSERT_BATCH) {
    const written = await db
      .insert(subscriptions)
      .values(rows.slice(at, at + UPSERT_BATCH))
      .onConflictDoUpdate({
        target: [subscriptions.projectId, subscriptions.externalId],
        set: Object.fromEntries([...SYNCED.map((c) => [camel(c), sql.raw(`excluded.${c}`)]), ["updatedAt", sql`now()`]]),
        // A page never rolls a subscription back to an older state of it.
        setWhere: sql`${tuple("subscriptions")} is distinct from ${tuple("excluded")} and excluded.provider_updated_at >= subscriptions.provider_updated_at`,
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    for (const w of written) {
      if (w.inserted) created++;
      else updated++;
    }
  }
  return { created, updated };
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function toRow(item: Item, projectId: string, accountId: string): Row {
  return {
    projectId,
    billingAccountId: accountId,
    externalId: item.id,
    customer: item.customer,
    plan: item.plan,
    status: item.status,
    amountMinor: item.amount,
    currency: item.currency,
    currentPeriodEnd: item.current_period_end ? new Date(item.current_period_end) : null,
    providerUpdatedAt: new Date(item.updated_at),
  };
}

/**
 * Seed 002's subscription sync: follows the provider's cursor pages for one account, one call per
 * page through ctx.fetch (logged on the run page, retried on 429/5xx with Retry-After honoured),
 * upserts each page before asking for the next, and stops cleanly between pages when cancelled.
 */
const subscriptionSync: JobHandler<SubscriptionSyncPayload> = async (ctx) => {
  const projectId = ctx.projectId;
  if (!projectId) throw new JobError("A subscription sync needs a project", { type: "validation_error", subType: "project_missing" });
  const config = readApiConfig();
  const { account } = ctx.payload;
  const accountId = billingAccountId(projectId, account);

  await ctx.step("open_account", async () => {
    await ctx.db.insert(billingAccounts).values({ id: accountId, projectId, externalId: account }).onConflictDoNothing();
  });

  const summary: Summary = { account, pages: 0, received: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, total: null, itemErrors: [] };
  const seenCursors = new Set<string>();
  let cursor: string | null = null;
  let emptyInARow = 0;
  ctx.stage("sync_pages");
  ctx.progress({ processed: 0, message: "Fetching the first page" });

  for (;;) {
    if (ctx.isCancelled() || ctx.signal.aborted) return { ...summary, stopped: true };
    if (summary.pages >= MAX_PAGES) {
      throw providerError(`The provider still had more pages after ${MAX_PAGES}; stopped (a cursor that never ends?).`, "too_many_pages", false);
    }
    const pageNo = summary.pages + 1;
    const where = `page ${pageNo}`;
    const url = new URL(`accounts/${encodeURIComponent(account)}/subscriptions`, config.baseUrl);
    url.searchParams.set("limit", String(PAGE_SIZE));
    if (cursor) url.searchParams.set("cursor", cursor);

    const response = await ctx.fetch(
      url,
      { headers: { authorization: `Bearer ${config.token}`, accept: "application/json" } },
      { retries: PAGE_RETRIES, retryOn: RETRY_ON, timeoutMs: config.timeoutMs, backoffMs: 1000 },
    );
    if (!response.ok) {
      const body = await readBody(response, where, config.timeoutMs, ctx.signal).catch(() => "");
      throw statusError(response.status, where, account, body);
    }
    const page = parsePage(await readBody(response, where, config.timeoutMs, ctx.signal), where, response.headers.get("content-type"));

    const byId = new Map<string, Row>();
    page.data.forEach((raw, index) => {
      const parsed = itemSchema.safeParse(raw);
      const reason = parsed.success ? (byId.has(parsed.data.id) ? "the same id appears twice in this page" : null) : parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
      if (parsed.success && !reason) {
        byId.set(parsed.data.id, toRow(parsed.data, projectId, accountId));
        return;
      }
      summary.skipped++;
      if (summary.itemErrors.length < MAX_REPORTED_ITEM_ERRORS) {
        const rawId = typeof raw === "object" && raw !== null && "id" in raw && typeof raw.id === "string" ? raw.id.slice(0, 200) : null;
        summary.itemErrors.push({ page: pageNo, index, id: rawId, reason: reason ?? "invalid" });
      }
    });
    const rows = [...byId.values()];
    const { created, updated } = await upsertRows(ctx.db, rows);
    summary.pages = pageNo;
    summary.received += page.data.length;
    summary.created += created;
    summary.updated += updated;
    summary.unchanged += rows.length - created - updated;
    if (page.total !== null && page.total !== undefined) summary.total = page.total;
    ctx.progress({
      processed: summary.received,
      total: summary.total === null ? null : Math.max(summary.total, summary.received),
      message: `Page ${pageNo}: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged${summary.skipped ? `, ${summary.skipped} skipped` : ""}`,
    });

    const next = page.next_cursor ?? null;
    if (!next) break;
    // New cursors forever over the same data: caught long before MAX_PAGES when the provider states a total.
    if (summary.total !== null && summary.received > 2 * summary.total + PAGE_SIZE) {
      throw providerError(`The provider has sent ${summary.received} subscriptions in ${pageNo} pages but says it has ${summary.total}; stopped instead of reading on.`, "cursor_loop", false);
    }
    if (seenCursors.has(next)) {
      throw providerError(`The provider sent cursor "${next.slice(0, 80)}" again after ${where}; stopped instead of reading the same pages forever.`, "cursor_loop", false);
    }
    emptyInARow = page.data.length === 0 ? emptyInARow + 1 : 0;
    if (emptyInARow >= MAX_EMPTY_PAGES) {
      throw providerError(`The provider sent ${MAX_EMPTY_PAGES} empty pages in a row that each point to another page; stopped after ${where}.`, "cursor_loop", false);
    }
    seenCursors.add(next);
    cursor = next;
  }

  await ctx.step("finish", async () => {
    await ctx.db.update(billingAccounts).set({ lastSyncedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(billingAccounts.id, accountId));
  });
  return summary;
};

export default subscriptionSync;
