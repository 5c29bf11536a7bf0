import { z } from "zod";
import { safeText } from "@/lib/validation/safe-text";

export const MAX_NAME_LENGTH = 80;
const MAX_SLUG_LENGTH = 48;

/** A team or project name as people type it: trimmed, no NUL, no control characters, bounded. */
export const displayName = (what: "team" | "project") =>
  safeText()
    .max(4096, `Keep the ${what} name under ${MAX_NAME_LENGTH} characters.`)
    .transform((s) => s.trim().replace(/\s+/g, " "))
    .pipe(
      z
        .string()
        .min(1, `Give the ${what} a name.`)
        .max(MAX_NAME_LENGTH, `Keep the ${what} name under ${MAX_NAME_LENGTH} characters.`)
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "Use letters, digits, spaces and punctuation only."),
    );

/**
 * The URL slug for a name: lowercase ASCII letters and digits joined by single dashes (accents
 * dropped), so it is safe in a path and in a shell. A name with nothing usable gets `fallback`.
 */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, "");
  return slug || fallback;
}

/**
 * Slugs to try in order when the first is taken: `base`, `base-2` … `base-9`, then random
 * suffixes (the unique index decides; a taken slug is never reused, so old links keep working).
 */
export function slugCandidates(base: string, random: () => string): string[] {
  const numbered = Array.from({ length: 8 }, (_, i) => `${base}-${i + 2}`);
  return [base, ...numbered, ...Array.from({ length: 5 }, () => `${base}-${random()}`)];
}
