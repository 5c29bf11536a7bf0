"use client";

import { useSyncExternalStore } from "react";

type Theme = "light" | "dark" | "system";
const KEY = "runboard-theme"; // also read by THEME_SCRIPT before first paint
const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const ICON: Record<Theme, string> = { system: "◐", light: "☀", dark: "☾" };

const listeners = new Set<() => void>();
const media = () => window.matchMedia("(prefers-color-scheme: dark)");

function readTheme(): Theme {
  const stored = localStorage.getItem(KEY);
  return stored === "light" || stored === "dark" ? stored : "system";
}

function apply(theme: Theme) {
  document.documentElement.classList.toggle("dark", theme === "dark" || (theme === "system" && media().matches));
}

function subscribe(listener: () => void): () => void {
  const onSystemChange = () => {
    apply(readTheme());
    listener();
  };
  listeners.add(listener);
  media().addEventListener("change", onSystemChange);
  return () => {
    listeners.delete(listener);
    media().removeEventListener("change", onSystemChange);
  };
}

/** Cycles system → light → dark; the choice lives in localStorage. */
export function ThemeToggle() {
  const theme = useSyncExternalStore<Theme>(subscribe, readTheme, () => "system");
  const choose = () => {
    const next = NEXT[theme];
    if (next === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
    apply(next);
    for (const l of listeners) l();
  };
  const label = `Theme: ${theme} (switch to ${NEXT[theme]})`;
  return (
    <button type="button" onClick={choose} aria-label={label} title={label} className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
      <span aria-hidden>{ICON[theme]}</span>
    </button>
  );
}
