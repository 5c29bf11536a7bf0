import { z } from "zod";

/**
 * Postgres refuses U+0000 in text and jsonb, and the error would surface as a 500. Input that
 * carries one is refused at the edge instead: these helpers are shared by every input schema.
 */
export const NUL_MESSAGE = "Must not contain a NUL character (\\u0000).";

export const hasNul = (value: string): boolean => value.includes("\u0000");

/** A string without NUL characters; chain `.min`, `.max`, `.trim` as on `z.string()`. */
export const safeText = () => z.string().refine((s) => !hasNul(s), NUL_MESSAGE);

/**
 * Dotted paths of every string (object key, value, or a File's name) holding a NUL in a parsed
 * input, so a form, query or JSON body can be refused field by field before any schema or query
 * sees it. Walks at most `limit` values: input is already bounded in size by its route.
 */
export function nulPaths(value: unknown, prefix = "", limit = 100_000): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, prefix]];
  for (let seen = 0; stack.length > 0 && seen < limit && found.length < 20; seen++) {
    const [current, path] = stack.pop()!;
    if (typeof current === "string") {
      if (hasNul(current)) found.push(path || "body");
    } else if (typeof File !== "undefined" && current instanceof File) {
      if (hasNul(current.name)) found.push(path || "body");
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, path ? `${path}.${i}` : String(i)]));
    } else if (typeof current === "object" && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        const at = path ? `${path}.${key.replaceAll("\u0000", "\\u0000")}` : key.replaceAll("\u0000", "\\u0000");
        if (hasNul(key)) found.push(at);
        else stack.push([item, at]);
      }
    }
  }
  return found.sort();
}
