import { TextLink } from "./text-link";

/** A page link, or null when there is no cursor that way. */
export type PagerLink = { href: string; label: string; rel?: "prev" | "next" } | null;

/** The links under a keyset-paginated list (first page, previous, next); only those that lead somewhere show. */
export function KeysetPager({ links, label = "Pages", className }: { links: PagerLink[]; label?: string; className?: string }) {
  return (
    <nav aria-label={label} className={className ? `flex gap-4 text-sm ${className}` : "flex gap-4 text-sm"}>
      {links.map((link) =>
        link ? (
          <TextLink key={link.label} href={link.href} rel={link.rel}>
            {link.label}
          </TextLink>
        ) : null,
      )}
    </nav>
  );
}
