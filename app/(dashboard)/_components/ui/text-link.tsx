import Link from "next/link";
import type { ComponentProps } from "react";

/** The in-app link look; for an element that must act like a link but is not a <Link>. */
export const textLinkClass = "text-indigo-700 hover:underline dark:text-indigo-400";

/** A next/link in the app's link look; `className` adds to it (font-mono, text-sm, spacing). */
export function TextLink({ className, ...props }: ComponentProps<typeof Link>) {
  return <Link {...props} className={className ? `${textLinkClass} ${className}` : textLinkClass} />;
}
