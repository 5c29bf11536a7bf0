import { z } from "zod";
import { RUN_STATUSES } from "@/lib/db/schema/job-runs";
import { safeText } from "@/lib/validation/safe-text";

/**
 * The filters of a run history view, parsed from URL search params (the dashboard's history
 * pages and the REST API share this). Every sort offered is keyset-paginated.
 */
/** Statuses a history can be filtered by (for toolbars, which must not import the schema). */
export const HISTORY_STATUSES = RUN_STATUSES;

export const HISTORY_SORTS = ["queued_desc", "queued_asc"] as const;
export type HistorySort = (typeof HISTORY_SORTS)[number];
export const HISTORY_LIMIT_DEFAULT = 25;
export const HISTORY_LIMIT_MAX = 100;
/** Trigram search needs three characters to use its index. */
export const SEARCH_MIN_LENGTH = 3;

const emptyToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);
/** `a,b` or repeated params; empty parts dropped. */
const list = <T extends z.ZodType<string>>(item: T, max: number) =>
  z.preprocess(
    (v) => {
      const raw = v === undefined ? [] : Array.isArray(v) ? v : [v];
      return [...new Set(raw.flatMap((s) => String(s).split(",")).map((s) => s.trim()).filter(Boolean))];
    },
    z.array(item).max(max),
  );

/** ISO date-time; without a zone it is read as UTC (the dashboard shows UTC). */
const instant = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const withZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : /T/.test(s) ? `${s}Z` : `${s}T00:00:00Z`;
      const d = new Date(withZone);
      if (Number.isNaN(d.getTime())) {
        ctx.addIssue({ code: "custom", message: "Use a date and time such as 2026-01-31T14:00." });
        return z.NEVER;
      }
      return d;
    })
    .optional(),
);

export const historyFilterSchema = z
  .object({
    status: list(z.enum(RUN_STATUSES, { error: (issue) => `Unknown status "${String(issue.input)}". Use ${RUN_STATUSES.join(", ")}.` }), RUN_STATUSES.length),
    jobType: list(z.string().regex(/^[a-z0-9_]{1,64}$/, "Unknown job type."), 20),
    triggeredBy: z.preprocess(emptyToUndefined, z.union([z.literal("me"), z.uuid()]).optional()),
    from: instant,
    to: instant,
    resourceType: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z0-9_]{1,64}$/, "Unknown resource type.").optional()),
    resourceId: z.preprocess(emptyToUndefined, z.uuid("A resource id is a UUID.").optional()),
    q: z.preprocess(
      (v) => (typeof v === "string" ? v.trim() || undefined : v),
      safeText().min(SEARCH_MIN_LENGTH, `Search needs at least ${SEARCH_MIN_LENGTH} characters.`).max(200).optional(),
    ),
    sort: z.preprocess(emptyToUndefined, z.enum(HISTORY_SORTS).default("queued_desc")),
    cursor: z.preprocess(emptyToUndefined, safeText().max(300).optional()),
    limit: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(HISTORY_LIMIT_MAX).default(HISTORY_LIMIT_DEFAULT)),
  })
  .refine((f) => !(f.from && f.to) || f.from < f.to, { path: ["to"], message: "The end of the range must be after its start." })
  .refine((f) => !f.resourceId || f.resourceType, { path: ["resourceType"], message: "Choose the resource type too." });

export type HistoryFilter = z.output<typeof historyFilterSchema>;
export const DEFAULT_HISTORY_FILTER: HistoryFilter = historyFilterSchema.parse({});

type ParamSource = URLSearchParams | Record<string, string | string[] | undefined>;

function toObject(params: ParamSource): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const entries: [string, string | string[] | undefined][] = params instanceof URLSearchParams ? [...new Set(params.keys())].map((k) => [k, params.getAll(k)]) : Object.entries(params);
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    // Single-valued params take their first value; lists keep them all.
    out[key] = key === "status" || key === "jobType" ? value : Array.isArray(value) ? (value[0] ?? "") : value;
  }
  return out;
}

export type HistoryFilterResult = { ok: true; filter: HistoryFilter } | { ok: false; fieldErrors: Record<string, string[]>; filter: HistoryFilter };

/**
 * Parse search params. On invalid input the result carries field errors and a filter with the
 * invalid fields dropped, so a page can still show something and say what was wrong.
 */
export function parseHistoryFilter(params: ParamSource): HistoryFilterResult {
  const raw = toObject(params);
  const parsed = historyFilterSchema.safeParse(raw);
  if (parsed.success) return { ok: true, filter: parsed.data };
  const { fieldErrors } = z.flattenError(parsed.error) as { fieldErrors: Record<string, string[]> };
  const kept = Object.fromEntries(Object.entries(raw).filter(([k]) => !(k in fieldErrors)));
  const fallback = historyFilterSchema.safeParse(kept);
  return { ok: false, fieldErrors, filter: fallback.success ? fallback.data : DEFAULT_HISTORY_FILTER };
}

/** Search params reproducing the filter (defaults omitted), so a link reproduces the view. */
export function historySearchParams(filter: Partial<HistoryFilter>): URLSearchParams {
  const p = new URLSearchParams();
  for (const s of filter.status ?? []) p.append("status", s);
  for (const j of filter.jobType ?? []) p.append("jobType", j);
  if (filter.triggeredBy) p.set("triggeredBy", filter.triggeredBy);
  if (filter.from) p.set("from", filter.from.toISOString());
  if (filter.to) p.set("to", filter.to.toISOString());
  if (filter.resourceType) p.set("resourceType", filter.resourceType);
  if (filter.resourceId) p.set("resourceId", filter.resourceId);
  if (filter.q) p.set("q", filter.q);
  if (filter.sort && filter.sort !== "queued_desc") p.set("sort", filter.sort);
  if (filter.limit && filter.limit !== HISTORY_LIMIT_DEFAULT) p.set("limit", String(filter.limit));
  if (filter.cursor) p.set("cursor", filter.cursor);
  return p;
}

/** `base?query` for the filter with some fields changed (e.g. a cursor). */
export function historyHref(base: string, filter: Partial<HistoryFilter>, patch: Partial<HistoryFilter> = {}): string {
  const query = historySearchParams({ ...filter, ...patch }).toString();
  return query ? `${base}?${query}` : base;
}

/** Whether any filter narrows the view (for empty states). */
export function isFiltered(filter: HistoryFilter): boolean {
  return filter.status.length > 0 || filter.jobType.length > 0 || !!filter.triggeredBy || !!filter.from || !!filter.to || !!filter.resourceType || !!filter.resourceId || !!filter.q;
}

// ---------------------------------------------------------------------------------------------
// Cursors: opaque, carrying the sort they belong to, the boundary row's exact key (queued_at to
// the microsecond, as Postgres prints it) and the direction.

const cursorSchema = z.object({ s: z.enum(HISTORY_SORTS), k: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), id: z.uuid(), d: z.enum(["next", "prev"]) });
export type HistoryCursor = { sort: HistorySort; key: string; id: string; direction: "next" | "prev" };

export function encodeHistoryCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify({ s: c.sort, k: c.key, id: c.id, d: c.direction })).toString("base64url");
}

/** A cursor of another sort, or garbage, is null (the view starts from the first page). */
export function decodeHistoryCursor(cursor: string | undefined, sort: HistorySort): HistoryCursor | null {
  if (!cursor) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (!parsed.success || parsed.data.s !== sort) return null;
    return { sort: parsed.data.s, key: parsed.data.k, id: parsed.data.id, direction: parsed.data.d };
  } catch {
    return null;
  }
}
