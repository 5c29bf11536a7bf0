import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { THEME_SCRIPT } from "./theme-script";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Runboard", template: "%s · Runboard" },
  description: "A job console for teams that run background work on Postgres.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // proxy.ts's per-request CSP nonce; reading it keeps every page dynamic, as a nonce requires.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    // The theme script sets the "dark" class before React hydrates.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
